import type { Database } from 'better-sqlite3'

/**
 * Each run keeps a JSON snapshot of its metrics beside the metric rows, so the run list of a large
 * audit reads one string per run instead of one row per metric. Existing runs are filled in from
 * their rows here, in JavaScript, because SQLite's JSON functions print reals with 15 digits and
 * would change the values (and with them the logged metrics hashes).
 */
export function up(db: Database): void {
  db.exec(`ALTER TABLE runs ADD COLUMN metrics_json TEXT;`)
  const rows = db.prepare(`SELECT run_id, name, value, value_json FROM metrics ORDER BY run_id, name`).all() as Array<{
    run_id: string
    name: string
    value: number | null
    value_json: string | null
  }>
  const byRun = new Map<string, Record<string, unknown>>()
  for (const m of rows) {
    const bucket = byRun.get(m.run_id) ?? {}
    bucket[m.name] = m.value_json == null ? m.value : JSON.parse(m.value_json)
    byRun.set(m.run_id, bucket)
  }
  const put = db.prepare(`UPDATE runs SET metrics_json = ? WHERE id = ?`)
  for (const [runId, metrics] of byRun) put.run(JSON.stringify(metrics), runId)
}
