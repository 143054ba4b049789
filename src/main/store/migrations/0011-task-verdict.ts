import type { Database } from 'better-sqlite3'

/**
 * Each audit keeps the verdict its report opens with (a sentence written from its runs when its
 * execution ends, or when it is imported), so the list of audits shows it without reading every run.
 * Audits stored before it have none until they next end.
 */
export function up(db: Database): void {
  db.exec(`ALTER TABLE tasks ADD COLUMN verdict TEXT;`)
}
