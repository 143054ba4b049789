import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { DatasetInfo } from '@shared/datasets'
import { type DatasetRoots, requireDataset } from './catalog'
import { parseIdx } from './idx'
import { IMPORTED_FILES, type Scaling } from './imported-format'

/** Images as floats in NHWC order (scaled as the dataset records), labels as class indices. */
export interface Split {
  images: Float32Array
  labels: Int32Array
  count: number
}

export interface Dataset {
  info: DatasetInfo
  /** sha256 over the source files, so a report can name exactly which data was used. */
  sha256: string
  /** How stored bytes became the values above; undone to draw an image. */
  scaling: Scaling
  train: Split
  test: Split
}

export interface DatasetLimits {
  trainLimit?: number | undefined
  testLimit?: number | undefined
}

const FILES = {
  trainImages: 'train-images-idx3-ubyte.gz',
  trainLabels: 'train-labels-idx1-ubyte.gz',
  testImages: 't10k-images-idx3-ubyte.gz',
  testLabels: 't10k-labels-idx1-ubyte.gz'
}

/** The order in which the files enter the dataset's sha256. */
export const BUILTIN_FILE_ORDER = [FILES.trainImages, FILES.trainLabels, FILES.testImages, FILES.testLabels]

const UNIT: Scaling = { kind: 'unit' }

function toSplit(
  images: Uint8Array,
  labels: Uint8Array,
  count: number,
  limit: number | undefined,
  scaling: Scaling,
  channels: number
): Split {
  // Subsets are the leading samples: deterministic, and identical across seeds so the original
  // model of one subset can be reused.
  const n = Math.min(limit ?? count, count)
  const pixels = images.length / count
  const floats = new Float32Array(n * pixels)
  if (scaling.kind === 'unit') for (let i = 0; i < floats.length; i++) floats[i] = images[i]! / 255
  else for (let i = 0; i < floats.length; i++) floats[i] = (images[i]! / 255 - scaling.mean[i % channels]!) / scaling.std[i % channels]!
  return { images: floats, labels: Int32Array.from(labels.subarray(0, n)), count: n }
}

/** Values as the model sees them back to 0-255 bytes, for thumbnails. */
export function displayBytes(values: Float32Array, scaling: Scaling, channels: number): number[] {
  const unit =
    scaling.kind === 'unit' ? (v: number) => v : (v: number, i: number) => v * scaling.std[i % channels]! + scaling.mean[i % channels]!
  return Array.from(values, (v, i) => Math.round(Math.min(Math.max(unit(v, i), 0), 1) * 255))
}

/** Loads a built-in or an imported dataset by id, with the leading `trainLimit`/`testLimit` samples. */
export async function loadDataset(roots: DatasetRoots, id: string, limits: DatasetLimits = {}): Promise<Dataset> {
  const { info, dir, imported } = requireDataset(roots, id)
  const files = imported ? [...IMPORTED_FILES] : BUILTIN_FILE_ORDER
  const hash = createHash('sha256')
  // Sequential, so the hash sees the files in their fixed order.
  const arrays = []
  for (const file of files) {
    const bytes = new Uint8Array(await readFile(join(dir, file)))
    hash.update(bytes)
    arrays.push(parseIdx(bytes, file))
  }
  const [trImg, trLab, teImg, teLab] = arrays as [
    ReturnType<typeof parseIdx>,
    ReturnType<typeof parseIdx>,
    ReturnType<typeof parseIdx>,
    ReturnType<typeof parseIdx>
  ]
  const expectShape = (a: { dims: number[] }, n: number, file: string) => {
    const shape = [n, ...info.inputShape.slice(0, 2)]
    if (a.dims.slice(0, 3).join('x') !== shape.join('x'))
      throw new Error(`${file}: shape [${a.dims.join(', ')}] does not match [${shape.join(', ')}]`)
  }
  expectShape(trImg, info.trainSize, files[0]!)
  expectShape(teImg, info.testSize, files[2]!)
  const scaling = imported?.preprocessing.scaling ?? UNIT
  const channels = info.inputShape[2] ?? 1
  return {
    info,
    sha256: hash.digest('hex'),
    scaling,
    train: toSplit(trImg.data, trLab.data, info.trainSize, limits.trainLimit, scaling, channels),
    test: toSplit(teImg.data, teLab.data, info.testSize, limits.testLimit, scaling, channels)
  }
}

/** The built-in datasets, by id (kept for callers without a data folder). */
export function loadBuiltinDataset(resourcesDir: string, id: string, limits: DatasetLimits = {}): Promise<Dataset> {
  return loadDataset({ resourcesDir }, id, limits)
}
