import type { Database } from 'better-sqlite3'

/**
 * The privacy evidence (issue 25): runs gain `replica`, set on the models that exist only for the
 * attacks and the retrain band (reference model k, extra retrain r), so the comparison views can
 * leave them out; and each run's per-example attack scores are kept beside its metrics, read by the
 * Privacy tab one cell at a time rather than with every listing of the runs.
 */
export function up(db: Database): void {
  db.exec(`
    ALTER TABLE runs ADD COLUMN replica INTEGER;
    CREATE TABLE attack_scores (
      run_id TEXT PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
      scores_json TEXT NOT NULL
    );
  `)
}
