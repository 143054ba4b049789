import { parseTaskSpec, SpecError } from '@shared/task-spec'
import { corruptTrainingSet } from '../engine/data/corruption'
import { type DatasetRoots, locateDataset } from '../engine/data/catalog'
import { type Dataset, displayBytes, loadDataset } from '../engine/data/dataset'
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
export async function datasetFor(roots: DatasetRoots, id: string, trainLimit?: number): Promise<Dataset> {
  const key = JSON.stringify([roots, id, trainLimit])
  if (cached?.key !== key) cached = { key, dataset: await loadDataset(roots, id, { trainLimit, testLimit: 10 }) }
  return cached.dataset
}

/** The dataset of a spec, or a SpecError naming the field. */
export function specDataset(roots: DatasetRoots, id: string): NonNullable<ReturnType<typeof locateDataset>> {
  const found = locateDataset(roots, id)
  if (!found) throw new SpecError(`dataset.id: unknown dataset "${id}"`)
  return found
}

/** Pixels of sample i as 0-255 values for a thumbnail. */
export function sampleBytes(dataset: Dataset, images: Float32Array, i: number): number[] {
  const pixels = dataset.info.inputShape.reduce((a, b) => a * b, 1)
  return displayBytes(images.subarray(i * pixels, (i + 1) * pixels), dataset.scaling, dataset.info.inputShape[2] ?? 1)
}

/**
 * A few samples of the task as the model will see them, beside the clean originals: the
 * corrupted ones for corrupted tasks, the forgotten ones otherwise. The same generator as the engine.
 */
export async function previewTask(
  roots: DatasetRoots,
  rawSpec: unknown,
  count: number
): Promise<{ inputShape: number[]; classNames: string[]; samples: PreviewSample[] }> {
  const spec = parseTaskSpec(rawSpec)
  const { info } = specDataset(roots, spec.dataset.id)
  const dataset = await datasetFor(roots, info.id, spec.dataset.trainLimit)
  const train = dataset.train
  const seed = spec.seeds[0] ?? 0
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
      clean: sampleBytes(dataset, train.images, i),
      shown: sampleBytes(dataset, images, i)
    }))
  }
}
