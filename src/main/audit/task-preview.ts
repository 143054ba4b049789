import { findBuiltinDataset } from '../../shared/datasets'
import { parseTaskSpec, SpecError } from '../../shared/task-spec'
import { corruptTrainingSet } from '../engine/data/corruption'
import { type Dataset, loadBuiltinDataset } from '../engine/data/dataset'
import { makeForgetSplit } from '../engine/data/splits'

export interface PreviewSample {
  index: number
  label: number
  shownLabel: number
  /** Pixels as 0-255 greys (or RGB triples), row-major. */
  clean: number[]
  shown: number[]
}

let cached: { key: string; dataset: Dataset } | null = null

/** The training split (and a token test split) of a dataset, kept for the next call: previews come in bursts. */
export async function datasetFor(resourcesDir: string, id: string, trainLimit?: number): Promise<Dataset> {
  const key = JSON.stringify([resourcesDir, id, trainLimit])
  if (cached?.key !== key) cached = { key, dataset: await loadBuiltinDataset(resourcesDir, id, { trainLimit, testLimit: 10 }) }
  return cached.dataset
}

export const toBytes = (values: Float32Array) => Array.from(values, (v) => Math.round(Math.min(Math.max(v, 0), 1) * 255))

/**
 * A few samples of the task as the model will see them, beside the clean originals: the
 * corrupted ones for corrupted tasks, the forgotten ones otherwise. The same generator as the engine.
 */
export async function previewTask(resourcesDir: string, rawSpec: unknown, count: number): Promise<{ inputShape: number[]; classNames: string[]; samples: PreviewSample[] }> {
  const spec = parseTaskSpec(rawSpec)
  const info = findBuiltinDataset(spec.dataset.id)
  if (!info) throw new SpecError(`dataset.id: unknown dataset "${spec.dataset.id}"`)
  const dataset = await datasetFor(resourcesDir, info.id, spec.dataset.trainLimit)
  const train = dataset.train
  const seed = spec.seeds[0] ?? 0
  const pixels = info.inputShape.reduce((a, b) => a * b, 1)
  let indices: number[]
  let images = train.images
  let labels = train.labels
  if (spec.task.kind === 'corrupted') {
    const c = corruptTrainingSet(spec.task, train, info.inputShape, info.classNames.length, seed)
    indices = Array.from(c.corrupted.slice(0, count))
    images = c.images
    labels = c.labels
  } else {
    indices = Array.from(makeForgetSplit(spec.task, train.labels, seed).forget.slice(0, count))
  }
  return {
    inputShape: info.inputShape,
    classNames: info.classNames,
    samples: indices.map((i) => ({
      index: i,
      label: train.labels[i]!,
      shownLabel: labels[i]!,
      clean: toBytes(train.images.subarray(i * pixels, (i + 1) * pixels)),
      shown: toBytes(images.subarray(i * pixels, (i + 1) * pixels))
    }))
  }
}
