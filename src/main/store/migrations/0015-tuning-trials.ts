import type { Database } from 'better-sqlite3'

/**
 * A tuned run's trials: the objective, each trial's settings and score, and which one the run then
 * used. One JSON document per run, as the report and the run detail read them whole.
 */
export function up(db: Database): void {
  db.exec(`
    CREATE TABLE tuning_trials (
      run_id TEXT PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
      record_json TEXT NOT NULL
    );
  `)
}
