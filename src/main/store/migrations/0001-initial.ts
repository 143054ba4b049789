import type { Database } from 'better-sqlite3'

/** Datasets, models, tasks, runs and their metrics. STRICT tables: SQLite must not coerce types. */
export function up(db: Database): void {
  db.exec(`
    CREATE TABLE datasets (
      id TEXT PRIMARY KEY,
      name TEXT NOT NULL,
      source TEXT NOT NULL CHECK (source IN ('builtin', 'imported')),
      sha256 TEXT NOT NULL,
      num_classes INTEGER NOT NULL,
      input_shape_json TEXT NOT NULL,
      created_at INTEGER NOT NULL
    ) STRICT;

    CREATE TABLE tasks (
      id TEXT PRIMARY KEY,
      name TEXT NOT NULL,
      spec_json TEXT NOT NULL,
      spec_sha256 TEXT NOT NULL,
      dataset_id TEXT NOT NULL REFERENCES datasets(id),
      created_at INTEGER NOT NULL
    ) STRICT;

    CREATE TABLE models (
      id TEXT PRIMARY KEY,
      sha256 TEXT NOT NULL,
      arch TEXT NOT NULL,
      path TEXT NOT NULL,
      bytes INTEGER NOT NULL,
      parameter_count INTEGER NOT NULL,
      dataset_id TEXT NOT NULL REFERENCES datasets(id),
      created_at INTEGER NOT NULL
    ) STRICT;

    CREATE TABLE runs (
      id TEXT PRIMARY KEY,
      task_id TEXT NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
      method TEXT NOT NULL,
      params_json TEXT NOT NULL,
      seed INTEGER NOT NULL,
      status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed', 'cancelled', 'interrupted')),
      backend TEXT,
      input_model_id TEXT REFERENCES models(id),
      output_model_id TEXT REFERENCES models(id),
      forget_count INTEGER,
      retain_count INTEGER,
      forget_sha256 TEXT,
      steps INTEGER,
      error TEXT,
      owner_pid INTEGER,
      position INTEGER NOT NULL,
      created_at INTEGER NOT NULL,
      started_at INTEGER,
      ended_at INTEGER
    ) STRICT;
    CREATE INDEX runs_by_task ON runs(task_id, position);
    CREATE INDEX runs_by_status ON runs(status);

    CREATE TABLE metrics (
      run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
      name TEXT NOT NULL,
      value REAL,
      PRIMARY KEY (run_id, name)
    ) STRICT, WITHOUT ROWID;
  `)
}
