import type { Database } from 'better-sqlite3'

/**
 * The append-only audit log: what happened to tasks, runs, models and datasets, each entry chained
 * to the one before by its hash. Triggers refuse updates and deletes, so the chain can only grow;
 * `verify` recomputes it and the hashes it names.
 */
export function up(db: Database): void {
  db.exec(`
    CREATE TABLE audit_log (
      seq INTEGER PRIMARY KEY,
      at INTEGER NOT NULL,
      kind TEXT NOT NULL CHECK (kind IN ('created', 'started', 'finished', 'measured', 'exported', 'imported', 'deleted')),
      subject TEXT NOT NULL,
      payload_json TEXT NOT NULL,
      prev_hash TEXT NOT NULL,
      hash TEXT NOT NULL
    ) STRICT;

    CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
  `)
}
