import type { RgbaImage } from './image-decode'

/** Every CIFAR image is 32×32 in three colour planes. */
export const CIFAR_SIDE = 32
export const CIFAR_IMAGE_BYTES = 3 * CIFAR_SIDE * CIFAR_SIDE

/** One batch file as read, in either format: where each record's pixels are, and its labels. */
export interface CifarBatch {
  /** The file, as the messages name it. */
  file: string
  count: number
  bytes: Uint8Array
  /** Record i's 3072 pixel bytes start at start + i × stride. */
  start: number
  stride: number
  /** CIFAR-10's labels, or CIFAR-100's fine labels. */
  fine: ArrayLike<number>
  /** CIFAR-100's coarse labels; null for CIFAR-10. */
  coarse: ArrayLike<number> | null
}

/** Record i as RGBA: CIFAR stores all red values of the image, then all green, then all blue, row by row. */
export function cifarImage(batch: CifarBatch, i: number): RgbaImage {
  const plane = CIFAR_SIDE * CIFAR_SIDE
  const from = batch.start + i * batch.stride
  const src = batch.bytes
  const data = new Uint8Array(plane * 4)
  for (let p = 0; p < plane; p++) {
    data[p * 4] = src[from + p]!
    data[p * 4 + 1] = src[from + plane + p]!
    data[p * 4 + 2] = src[from + 2 * plane + p]!
    data[p * 4 + 3] = 255
  }
  // CIFAR is a colour dataset: RGB by default even when the first image happens to be grey.
  return { width: CIFAR_SIDE, height: CIFAR_SIDE, data, grey: false }
}
