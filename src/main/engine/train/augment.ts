import * as tf from '@tensorflow/tfjs'
import type { Augment } from '@shared/task-spec'

export type { Augment } from '@shared/task-spec'

/** Whether the setting changes anything (a crop of 0 without flips is no augmentation). */
export const augments = (a: Augment | undefined): a is Augment => !!a && (a.crop > 0 || a.flip)

/** What was drawn for one image: its crop offset in [-crop, crop] per axis, and whether it is mirrored. */
export interface ImageDraw {
  dy: number
  dx: number
  flip: boolean
}

/** One draw per image, from `rng` in image order (offsets first, then the flip), so a seed fixes them all. */
export function drawAugmentation(count: number, a: Augment, rng: () => number): ImageDraw[] {
  const offset = () => Math.floor(rng() * (2 * a.crop + 1)) - a.crop
  return Array.from({ length: count }, () => {
    const dy = a.crop > 0 ? offset() : 0
    const dx = a.crop > 0 ? offset() : 0
    return { dy, dx, flip: a.flip && rng() < 0.5 }
  })
}

/**
 * For each output pixel of an [n, h, w] batch, the row of the source pixel in the batch flattened to
 * [n·h·w, channels], or n·h·w (one past the end, a zero row) where the crop window reads padding.
 * The crop comes first and the flip mirrors the cropped image, as torchvision's RandomCrop then
 * RandomHorizontalFlip do.
 */
export function sourceRows(draws: ImageDraw[], h: number, w: number): Int32Array {
  const zero = draws.length * h * w
  const rows = new Int32Array(zero)
  draws.forEach(({ dy, dx, flip }, n) => {
    for (let i = 0; i < h; i++) {
      const si = i + dy
      for (let j = 0; j < w; j++) {
        const sj = (flip ? w - 1 - j : j) + dx
        rows[(n * h + i) * w + j] = si >= 0 && si < h && sj >= 0 && sj < w ? (n * h + si) * w + sj : zero
      }
    }
  })
  return rows
}

/** The batch `x` [n, h, w, c] cropped and flipped as drawn: one gather of whole pixels, on the engine's backend. */
export function augmentBatch(x: tf.Tensor, draws: ImageDraw[]): tf.Tensor {
  if (x.rank !== 4)
    throw new Error(`Augmentation crops and flips images [batch, height, width, channels], not inputs of shape [${x.shape}]`)
  const [n, h, w, c] = x.shape as [number, number, number, number]
  return tf.tidy(() => {
    const pixels = tf.concat([tf.reshape(x, [n * h * w, c]), tf.zeros([1, c])])
    const rows = tf.tensor1d(sourceRows(draws, h, w), 'int32')
    return tf.reshape(tf.gather(pixels, rows), [n, h, w, c])
  })
}
