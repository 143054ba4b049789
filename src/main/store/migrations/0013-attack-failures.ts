import type { Database } from 'better-sqlite3'

/**
 * Why the membership attacks of a cell and seed did not run (a failed attack job, too few reference
 * models), so the Privacy tab and the report can say it instead of showing an empty cell. A later
 * attack of the same cell and seed clears it.
 */
export function up(db: Database): void {
  db.exec(`
    CREATE TABLE attack_failures (
      task_id TEXT NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
      cell_key TEXT NOT NULL,
      seed INTEGER NOT NULL,
      error TEXT NOT NULL,
      at INTEGER NOT NULL,
      PRIMARY KEY (task_id, cell_key, seed)
    );
  `)
}
