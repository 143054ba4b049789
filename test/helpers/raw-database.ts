import Database from 'better-sqlite3'

/**
 * A second connection to a store's database file, for tests that tamper with rows behind the
 * store's back or check the file's integrity (the store keeps its own connection private).
 */
export function withRawDatabase<T>(file: string, use: (db: Database.Database) => T): T {
  const db = new Database(file)
  try {
    return use(db)
  } finally {
    db.close()
  }
}
