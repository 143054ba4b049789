import { ApiError, type PrivacyScores } from '@shared/api/contract'
import { parseTaskSpec, type ForgetTask } from '@shared/task-spec'
import { corruptTrainingSet } from '../engine/data/corruption'
import type { DatasetRoots } from '../engine/data/catalog'
import type { AuditStore } from '../store/audit-store'
import { datasetFor, sampleBytes, specDataset } from './task-preview'

/**
 * The per-example attack scores of one cell and seed, every run with scores, and the images of the
 * forget samples each run leaves most exposed (highest LiRA score), as trained (trigger on for poison).
 */
export async function privacyScores(
  store: AuditStore,
  roots: DatasetRoots,
  q: { taskId: string; cellKey: string; seed: number; exposedPerRun?: number }
): Promise<PrivacyScores> {
  const summary = store.tasks.get(q.taskId)
  if (!summary) throw new ApiError('NOT_FOUND', `No audit with id ${q.taskId}`)
  const runs = store.runs.list(q.taskId, { cellKey: q.cellKey, seed: q.seed })
  const scores = store.attackScores.forRuns(runs.map((r) => r.id))
  const withScores = runs.filter((r) => scores.has(r.id))
  const exposed = new Set<number>()
  for (const r of withScores) {
    const s = scores.get(r.id)!
    s.members
      .map((index, k) => ({ index, score: s.lira.members[k]! }))
      .sort((a, b) => b.score - a.score)
      .slice(0, q.exposedPerRun ?? 8)
      .forEach((m) => exposed.add(m.index))
  }
  const spec = parseTaskSpec(summary.spec)
  const { info } = specDataset(roots, spec.dataset.id)
  let samples: PrivacyScores['samples'] = []
  if (exposed.size) {
    const dataset = await datasetFor(roots, info.id, spec.dataset.trainLimit)
    const cell = runs[0]?.cell ?? {}
    const task = { ...spec.task, ...cell } as ForgetTask
    const trained =
      task.kind === 'corrupted' ? corruptTrainingSet(task, dataset.train, info.inputShape, info.classNames.length, q.seed) : null
    const images = trained?.images ?? dataset.train.images
    const labels = trained?.labels ?? dataset.train.labels
    samples = [...exposed].map((index) => ({ index, label: labels[index]!, pixels: sampleBytes(dataset, images, index) }))
  }
  return {
    inputShape: info.inputShape,
    classNames: info.classNames,
    runs: withScores.map((r) => ({ runId: r.id, method: r.method, replica: r.replica, scores: scores.get(r.id)! })),
    failure: store.attackScores.failureOf(q.taskId, { cellKey: q.cellKey, seed: q.seed }),
    samples
  }
}
