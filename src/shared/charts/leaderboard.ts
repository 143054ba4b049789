import type { RunRecord } from '../api/contract'
import { ALL_METRICS } from '../metrics/groups'
import { meanAndSem, type Stat } from './task-space'

/** Columns of the leaderboard: every metric with a direction (cost included). */
export const LEADERBOARD_METRICS = ALL_METRICS.filter((m) => m.higherIsBetter !== null)

// The references every method is read against; they are shown but never ranked.
const REFERENCES = new Set(['original', 'retrain'])

export interface LeaderboardRow {
  method: string
  reference: boolean
  stats: Record<string, Stat | null>
}

type MetricColumn = { key: string; higherIsBetter: boolean | null }

/** Mean ± SEM per method over every finished run (all cells and seeds), references first. */
export function leaderboardRows(runs: RunRecord[], metrics: readonly MetricColumn[] = LEADERBOARD_METRICS): LeaderboardRow[] {
  const methods = [...new Set(runs.map((r) => r.method))]
  const rows = methods.map((method) => {
    const done = runs.filter((r) => r.method === method && r.status === 'done')
    const stats = Object.fromEntries(
      metrics.map((m) => [m.key, meanAndSem(done.map((r) => r.metrics[m.key]).filter((v): v is number => typeof v === 'number'))])
    )
    return { method, reference: REFERENCES.has(method), stats }
  })
  return [...rows.filter((r) => r.reference), ...rows.filter((r) => !r.reference)]
}

/** Per metric, the method with the best mean among the non-reference rows. */
export function bestMethods(rows: LeaderboardRow[], metrics: readonly MetricColumn[] = LEADERBOARD_METRICS): Record<string, string> {
  const best: Record<string, string> = {}
  for (const m of metrics) {
    if (m.higherIsBetter === null) continue
    let winner: { method: string; mean: number } | null = null
    for (const row of rows) {
      const s = row.stats[m.key]
      if (row.reference || !s) continue
      const better = !winner || (m.higherIsBetter ? s.mean > winner.mean : s.mean < winner.mean)
      if (better) winner = { method: row.method, mean: s.mean }
    }
    if (winner) best[m.key] = winner.method
  }
  return best
}
