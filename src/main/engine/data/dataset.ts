import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { findBuiltinDataset, type DatasetInfo } from '../../../shared/datasets'
import { parseIdx } from './idx'

/** Images as [0,1] floats in NHWC order, labels as class indices. */
export interface Split {
  images: Float32Array
  labels: Int32Array
  count: number
}

export interface Dataset {
  info: DatasetInfo
  /** sha256 over the source files, so a report can name exactly which data was used. */
  sha256: string
  train: Split
  test: Split
}

const FILES = {
  trainImages: 'train-images-idx3-ubyte.gz',
  trainLabels: 'train-labels-idx1-ubyte.gz',
  testImages: 't10k-images-idx3-ubyte.gz',
  testLabels: 't10k-labels-idx1-ubyte.gz'
}

/** The order in which the files enter the dataset's sha256. */
export const BUILTIN_FILE_ORDER = [FILES.trainImages, FILES.trainLabels, FILES.testImages, FILES.testLabels]

function toSplit(images: Uint8Array, labels: Uint8Array, count: number, limit: number | undefined): Split {
  // Subsets are the leading samples: deterministic, and identical across seeds so the original
  // model of one subset can be reused.
  const n = Math.min(limit ?? count, count)
  const pixels = images.length / count
  const floats = new Float32Array(n * pixels)
  for (let i = 0; i < floats.length; i++) floats[i] = images[i]! / 255
  return { images: floats, labels: Int32Array.from(labels.subarray(0, n)), count: n }
}

export async function loadBuiltinDataset(
  resourcesDir: string,
  id: string,
  limits: { trainLimit?: number | undefined; testLimit?: number | undefined } = {}
): Promise<Dataset> {
  const info = findBuiltinDataset(id)
  if (!info) throw new Error(`Unknown dataset "${id}"`)
  const dir = join(resourcesDir, 'datasets', id)
  const hash = createHash('sha256')
  const read = async (file: string) => {
    const bytes = new Uint8Array(await readFile(join(dir, file)))
    hash.update(bytes)
    return parseIdx(bytes, file)
  }
  // Sequential, so the hash sees the files in BUILTIN_FILE_ORDER.
  const trImg = await read(FILES.trainImages)
  const trLab = await read(FILES.trainLabels)
  const teImg = await read(FILES.testImages)
  const teLab = await read(FILES.testLabels)
  const expectShape = (a: { dims: number[] }, n: number, file: string) => {
    const shape = [n, ...info.inputShape.slice(0, 2)]
    if (a.dims.slice(0, 3).join('x') !== shape.join('x')) throw new Error(`${file}: shape [${a.dims.join(', ')}] does not match [${shape.join(', ')}]`)
  }
  expectShape(trImg, info.trainSize, FILES.trainImages)
  expectShape(teImg, info.testSize, FILES.testImages)
  return {
    info,
    sha256: hash.digest('hex'),
    train: toSplit(trImg.data, trLab.data, info.trainSize, limits.trainLimit),
    test: toSplit(teImg.data, teLab.data, info.testSize, limits.testLimit)
  }
}
