import type Database from 'better-sqlite3'
import { join } from 'node:path'
import { openDatabase } from '@main/store/database'
import { LATEST_VERSION, MIGRATIONS, type Migration } from '@main/store/migrations'

/** The real migrations up to and including `version` (0: none, an empty database). */
export function migrationsUpTo(version: number): Migration[] {
  if (!Number.isInteger(version) || version < 0 || version > LATEST_VERSION)
    throw new Error(`There is no schema version ${version} (the migrations go from 1 to ${LATEST_VERSION})`)
  return MIGRATIONS.filter((m) => m.version <= version)
}

/** A database file at one schema version, that a test fills and then migrates on. */
export interface MigratingDatabase {
  readonly file: string
  /** The open handle; a new one after each `migrateTo`. */
  readonly db: Database.Database
  readonly version: number
  /** Closes the handle, opens the same file as the app would with the migrations up to `version`, and returns the new handle. */
  migrateTo(version: number): Database.Database
  close(): void
}

let created = 0

function openAt(file: string, version: number): Database.Database {
  const db = openDatabase(file, migrationsUpTo(version))
  const actual = db.pragma('user_version', { simple: true })
  if (actual !== version) {
    db.close()
    throw new Error(`${file} is at schema version ${String(actual)} after migrating to ${version}`)
  }
  return db
}

/**
 * Creates a new database file in `dir` and migrates it to exactly `version` with the app's own
 * migrations (as Signal Desktop's `updateToVersion`): the test inserts rows with the columns that
 * version had, then calls `migrateTo` to run the next migrations on the same file.
 */
export function createDatabaseAt(dir: string, version: number, name = `schema-v${version}-${++created}.db`): MigratingDatabase {
  const file = join(dir, name)
  let db = openAt(file, version)
  let current = version
  return {
    file,
    get db() {
      return db
    },
    get version() {
      return current
    },
    migrateTo(next: number) {
      if (next < current) throw new Error(`Migrations only go forward (from ${current} to ${next} asked)`)
      if (db.open) db.close()
      db = openAt(file, next)
      current = next
      return db
    },
    close() {
      if (db.open) db.close()
    }
  }
}
