import type { RunRecord } from '../../shared/api/contract'
import { deltaToRetrain, gapToRetrain, tugOfWar } from '../../shared/metrics/definitions'
import type { AuditStore } from '../store/audit-store'

// Metrics that describe the run rather than the model; a delta of them means nothing.
const NOT_COMPARED = ['seconds', 'paramsChanged', 'tow', 'gapToRetrain']

/**
 * Adds tow, gapToRetrain and deltaToRetrain to every finished run of a (cell, seed) that has a
 * finished `retrain` run: the reading of each method against the gold standard of the same task and seed.
 */
export function addRetrainComparisons(store: AuditStore, taskId: string): number {
  const runs = store.runs.list(taskId)
  let added = 0
  for (const retrain of runs.filter((r) => r.method === 'retrain' && r.status === 'done')) {
    for (const run of runs.filter((r: RunRecord) => r.seed === retrain.seed && r.cellKey === retrain.cellKey && r.status === 'done')) {
      const u = run.metrics as Record<string, number | null>
      const r = retrain.metrics as Record<string, number | null>
      store.runs.putMetrics(run.id, {
        tow: tugOfWar({ forgetAccuracy: u.forgetAccuracy ?? null, retainAccuracy: u.retainAccuracy ?? null, testAccuracy: u.testAccuracy ?? null }, { forgetAccuracy: r.forgetAccuracy ?? null, retainAccuracy: r.retainAccuracy ?? null, testAccuracy: r.testAccuracy ?? null }),
        gapToRetrain: gapToRetrain(u, r),
        deltaToRetrain: deltaToRetrain(u, r, NOT_COMPARED)
      })
      added++
    }
  }
  return added
}
