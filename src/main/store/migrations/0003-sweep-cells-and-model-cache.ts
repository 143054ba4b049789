import type { Database } from 'better-sqlite3'

/**
 * Sweeps: every run belongs to a cell of the task space (`cell_key`, '' for a plain audit, with
 * its coordinates as JSON), and index lists are kept per cell. Originals and retrains are cached
 * by the content hash of what decides their weights, so a sweep trains each only once.
 */
export function up(db: Database): void {
  db.exec(`
    ALTER TABLE runs ADD COLUMN cell_key TEXT NOT NULL DEFAULT '';
    ALTER TABLE runs ADD COLUMN cell_json TEXT;

    CREATE TABLE splits_by_cell (
      task_id TEXT NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
      cell_key TEXT NOT NULL DEFAULT '',
      seed INTEGER NOT NULL,
      kind TEXT NOT NULL CHECK (kind IN ('forget', 'corrupted')),
      count INTEGER NOT NULL,
      sha256 TEXT NOT NULL,
      indices BLOB NOT NULL,
      PRIMARY KEY (task_id, cell_key, seed, kind)
    ) STRICT;
    INSERT INTO splits_by_cell (task_id, cell_key, seed, kind, count, sha256, indices)
      SELECT task_id, '', seed, kind, count, sha256, indices FROM splits;
    DROP TABLE splits;
    ALTER TABLE splits_by_cell RENAME TO splits;

    CREATE TABLE model_cache (
      key TEXT PRIMARY KEY,
      model_id TEXT NOT NULL REFERENCES models(id),
      created_at INTEGER NOT NULL
    ) STRICT;
  `)
}
