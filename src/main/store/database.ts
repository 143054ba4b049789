import Database from 'better-sqlite3'
import { existsSync } from 'node:fs'
import { LATEST_VERSION, MIGRATIONS, type Migration } from './migrations'

export class StoreError extends Error {
  override name = 'StoreError'
}

/**
 * Opens (or creates) the experiment database: WAL, foreign keys, then every pending migration,
 * each in its own transaction. A non-empty database is backed up with VACUUM INTO before it is
 * migrated, and a database from a newer version of the app is refused rather than damaged.
 */
export function openDatabase(file: string, migrations: Migration[] = MIGRATIONS): Database.Database {
  let db: Database.Database
  try {
    db = new Database(file)
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = NORMAL')
    db.pragma('foreign_keys = ON')
    db.pragma('busy_timeout = 5000')
    const check = db.pragma('quick_check', { simple: true })
    if (check !== 'ok') throw new StoreError(`${file} is damaged (${String(check)})`)
  } catch (err) {
    if (err instanceof StoreError) throw err
    throw new StoreError(`${file} cannot be opened as an experiment database: ${(err as Error).message}`)
  }
  try {
    migrate(db, file, migrations)
  } catch (err) {
    db.close()
    throw err
  }
  return db
}

function migrate(db: Database.Database, file: string, migrations: Migration[]): void {
  const current = db.pragma('user_version', { simple: true }) as number
  const latest = migrations.at(-1)?.version ?? 0
  if (current > latest) {
    throw new StoreError(
      `${file} was written by a newer version of Unlearning Audit (schema ${current}, this app knows ${latest}); it was left untouched`
    )
  }
  const pending = migrations.filter((m) => m.version > current)
  if (pending.length === 0) return
  if (current > 0 && file !== ':memory:') {
    const backup = `${file}.backup-v${current}`
    if (!existsSync(backup)) db.exec(`VACUUM INTO '${backup.replaceAll("'", "''")}'`)
  }
  for (const m of pending) {
    db.transaction(() => {
      m.up(db)
      db.pragma(`user_version = ${m.version}`)
    })()
  }
}

export { LATEST_VERSION }
