import { ApiError } from '@shared/api/contract'
import { parseTaskSpec, type ForgetTask } from '@shared/task-spec'
import { corruptTrainingSet } from '../engine/data/corruption'
import { sha256OfIndices } from '../engine/data/splits'
import type { AuditStore } from '../store/audit-store'
import { datasetFor, sampleBytes, specDataset } from './task-preview'
import type { DatasetRoots } from '../engine/data/catalog'

export interface DrillDownSample {
  index: number
  discovered: boolean
  cleanLabel: number
  corruptedLabel: number
  /** The run's prediction on the sample as trained (trigger on for poison). */
  predicted: number
  followsCorrupted: boolean
  /** 0-255 greys (or RGB triples) of the image as trained. */
  pixels: number[]
}

export interface DrillDownGroup {
  total: number
  followsCorrupted: number
  healed: number
  samples: DrillDownSample[]
}

export interface DrillDown {
  inputShape: number[]
  classNames: string[]
  discovered: DrillDownGroup
  undiscovered: DrillDownGroup
}

/**
 * A run's corrupted samples, split into discovered (in D_f) and undiscovered, each with what the
 * run now predicts. The corruption is regenerated from the task and checked against the stored
 * split's sha256, so the thumbnails are the samples the run was measured on.
 */
export async function drillDown(store: AuditStore, roots: DatasetRoots, runId: string, perGroup: number): Promise<DrillDown> {
  const taskId = store.runs.taskIdOf(runId)
  const summary = taskId ? store.tasks.get(taskId) : null
  const run = summary ? store.runs.list(summary.id).find((r) => r.id === runId) : undefined
  if (!summary || !run) throw new ApiError('NOT_FOUND', `No run with id ${runId}`)
  const predictions = run.metrics.corruptedPredictions
  if (!Array.isArray(predictions))
    throw new ApiError(
      'NOT_FOUND',
      `Run ${runId} has no per-sample predictions (it is not a finished run of a corrupted task, or predates them)`
    )
  const spec = parseTaskSpec(summary.spec)
  const task = { ...spec.task, ...(run.cell ?? {}) } as ForgetTask
  if (task.kind !== 'corrupted') throw new ApiError('VALIDATION', 'The drill-down is for corrupted tasks')
  const { info } = specDataset(roots, spec.dataset.id)
  const dataset = await datasetFor(roots, info.id, spec.dataset.trainLimit)
  const train = dataset.train
  const corrupted = corruptTrainingSet(task, train, info.inputShape, info.classNames.length, run.seed)
  const splits = store.splits.list(summary.id).filter((s) => s.seed === run.seed && s.cellKey === run.cellKey)
  const storedCorrupted = splits.find((s) => s.kind === 'corrupted')
  const forget = splits.find((s) => s.kind === 'forget')
  if (
    !storedCorrupted ||
    !forget ||
    storedCorrupted.sha256 !== sha256OfIndices(corrupted.corrupted) ||
    predictions.length !== corrupted.corrupted.length
  ) {
    throw new ApiError('CONFLICT', 'The corrupted samples no longer match the ones this run was measured on (the dataset files changed?)')
  }
  const discovered = new Set(forget.indices)
  const all = Array.from(corrupted.corrupted, (index, k) => {
    const predicted = predictions[k] ?? -1
    return {
      index,
      discovered: discovered.has(index),
      cleanLabel: train.labels[index]!,
      corruptedLabel: corrupted.labels[index]!,
      predicted,
      followsCorrupted: predicted === corrupted.labels[index]
    }
  })
  const group = (isDiscovered: boolean): DrillDownGroup => {
    const members = all.filter((s) => s.discovered === isDiscovered)
    return {
      total: members.length,
      followsCorrupted: members.filter((s) => s.followsCorrupted).length,
      healed: members.filter((s) => s.predicted === s.cleanLabel).length,
      // Samples still following the corrupted label first: those are what an auditor looks for.
      samples: [...members.filter((s) => s.followsCorrupted), ...members.filter((s) => !s.followsCorrupted)]
        .slice(0, perGroup)
        .map((s) => ({ ...s, pixels: sampleBytes(dataset, corrupted.images, s.index) }))
    }
  }
  return { inputShape: info.inputShape, classNames: info.classNames, discovered: group(true), undiscovered: group(false) }
}
