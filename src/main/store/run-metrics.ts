import type { Database } from 'better-sqlite3'

import type { MetricValue } from '@shared/metrics/value'

export type { MetricValue }

/** A run's metrics as stored: scalars from `value`, arrays and objects parsed from JSON, by name. */
export function readRunMetrics(db: Database, runId: string): Record<string, MetricValue> {
  const rows = db.prepare(`SELECT name, value, value_json FROM metrics WHERE run_id = ? ORDER BY name`).all(runId) as Array<{
    name: string
    value: number | null
    value_json: string | null
  }>
  return Object.fromEntries(rows.map((m) => [m.name, m.value_json == null ? m.value : (JSON.parse(m.value_json) as MetricValue)]))
}

/**
 * Adds or replaces metrics of a run (scalars in `value`, arrays and objects as JSON; a value that
 * is not finite is stored as null), then refreshes the run's `metrics_json` snapshot. The metrics
 * table stays the record that queries and `verify` read; the snapshot exists because listing an
 * audit of 10,000 runs from ~70,000 metric rows is too slow for the UI. Call inside a transaction.
 */
export function writeRunMetrics(db: Database, runId: string, metrics: Record<string, MetricValue>): Record<string, MetricValue> {
  const put = db.prepare(`INSERT OR REPLACE INTO metrics (run_id, name, value, value_json) VALUES (?, ?, ?, ?)`)
  for (const [name, value] of Object.entries(metrics)) {
    if (typeof value === 'number' || value === null) put.run(runId, name, value !== null && Number.isFinite(value) ? value : null, null)
    else put.run(runId, name, null, JSON.stringify(value))
  }
  const all = readRunMetrics(db, runId)
  db.prepare(`UPDATE runs SET metrics_json = ? WHERE id = ?`).run(JSON.stringify(all), runId)
  return all
}
