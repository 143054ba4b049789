import type { Database } from 'better-sqlite3'

/**
 * Settings the auditor sets once (their name and organisation for the report's cover, the paper
 * size), and where an audit came from: audits imported from another copy's bundle record the
 * bundle, so they are shown read-only and their report says so.
 */
export function up(db: Database): void {
  db.exec(`
    CREATE TABLE settings (
      key TEXT PRIMARY KEY,
      value_json TEXT NOT NULL
    ) STRICT;

    ALTER TABLE tasks ADD COLUMN origin_json TEXT;
  `)
}
