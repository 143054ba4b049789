import type { Database } from 'better-sqlite3'

/**
 * Which models carry Mnemonic codes, and the sha256 of their codes file: the codes are part of
 * what one-shot Mnemonic unlearning needs, so the store records them and `verify` checks them.
 */
export function up(db: Database): void {
  db.exec(`ALTER TABLE models ADD COLUMN codes_sha256 TEXT;`)
}
