import type { Database } from 'better-sqlite3'

/**
 * Why each run's engine skipped the backends faster than the one it ran on (a JSON array of one-line
 * reasons), so the app and the report can say why a run was slower than it could have been.
 */
export function up(db: Database): void {
  db.exec(`ALTER TABLE runs ADD COLUMN backend_skipped_json TEXT;`)
}
