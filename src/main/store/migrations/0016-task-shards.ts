import type { Database } from 'better-sqlite3'

/**
 * The shard of a sharded audit that this database runs (its plan's sha256, its index, and its groups),
 * so that a resume plans the same groups again and a merge can tell the shards apart. NULL for an
 * audit that runs whole.
 */
export function up(db: Database): void {
  db.exec(`ALTER TABLE tasks ADD COLUMN shard_json TEXT`)
}
