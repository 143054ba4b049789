import type { Database } from 'better-sqlite3'

/**
 * Index lists (the forget set D_f and the corrupted set D_c) with their sha256, so a report can
 * prove which samples were forgotten; and metrics that are arrays or objects (per-class
 * accuracy, deltas to retrain) as JSON beside the scalar value.
 */
export function up(db: Database): void {
  db.exec(`
    ALTER TABLE metrics ADD COLUMN value_json TEXT;

    CREATE TABLE splits (
      task_id TEXT NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
      seed INTEGER NOT NULL,
      kind TEXT NOT NULL CHECK (kind IN ('forget', 'corrupted')),
      count INTEGER NOT NULL,
      sha256 TEXT NOT NULL,
      indices BLOB NOT NULL,
      PRIMARY KEY (task_id, seed, kind)
    ) STRICT;
  `)
}
