import type { RunRecord } from '@shared/api/contract'
import { deltaToRetrain, gapToRetrain, tugOfWar } from '@shared/metrics/definitions'
import { isAuditRun } from '@shared/run-filter'
import type { AuditStore } from '../store/audit-store'

// Metrics that describe the run rather than the model; a delta of them means nothing.
const NOT_COMPARED = ['seconds', 'paramsChanged', 'tow', 'gapToRetrain']

/**
 * Adds tow, gapToRetrain and deltaToRetrain to finished runs of one (cell, seed), read against its
 * finished `retrain` run: the gold standard of the same task and seed. Called as each run
 * finishes: when the retrain finishes, every finished run of its cell and seed is compared; after
 * that, only the run that just finished. Returns the ids of the runs whose metrics changed.
 */
export function compareWithRetrain(store: AuditStore, finished: RunRecord): string[] {
  // The privacy evidence's own models (reference models, extra retrains) are not compared: the band is their reading.
  if (!isAuditRun(finished)) return []
  const cell = store.runs.list(finished.taskId, { cellKey: finished.cellKey, seed: finished.seed }).filter(isAuditRun)
  const retrain = cell.find((r) => r.method === 'retrain' && r.status === 'done')
  if (!retrain) return []
  const compared = finished.method === 'retrain' ? cell.filter((r) => r.status === 'done') : cell.filter((r) => r.id === finished.id)
  for (const run of compared) {
    const u = run.metrics as Record<string, number | null>
    const r = retrain.metrics as Record<string, number | null>
    const accuracies = (m: Record<string, number | null>) => ({
      forgetAccuracy: m.forgetAccuracy ?? null,
      retainAccuracy: m.retainAccuracy ?? null,
      testAccuracy: m.testAccuracy ?? null
    })
    store.runs.putMetrics(run.id, {
      tow: tugOfWar(accuracies(u), accuracies(r)),
      gapToRetrain: gapToRetrain(u, r),
      deltaToRetrain: deltaToRetrain(u, r, NOT_COMPARED)
    })
  }
  return compared.map((r) => r.id)
}
