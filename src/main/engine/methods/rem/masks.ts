import * as tf from '@tensorflow/tfjs'
import type { MaskPoint } from '@main/engine/model/widen'
import { createRng, hashSeed } from '@main/engine/util/random'

export type MaskMode = 'drop' | 'mask'

/** The shared mask's id: every known-corrupted sample (D_f) switches on this one subset. */
export const SHARED_MASK_ID = -1

/**
 * The frozen reference's own shared mask id. The official code deep-copies its reference before
 * the loop, with a shared subset of its own, so D_f runs through different channels in the two.
 */
export const REFERENCE_SHARED_MASK_ID = -2

/** The new channels sample `id` switches on: a seeded Bernoulli(p) draw per mask point, the same every time. */
export function sampleMaskBits(points: MaskPoint[], id: number, p: number, seed: number): Uint8Array[] {
  const rng = createRng(hashSeed(seed, `rem-mask-${id}`))
  return points.map((pt) => Uint8Array.from({ length: pt.extra }, () => (rng() < p ? 1 : 0)))
}

/**
 * Per-sample channel masks for a batch, keyed by mask point: original channels always on; the new
 * ones off in drop mode, and in mask mode each sample's own subset (or the shared one).
 */
export function buildMasks(
  points: MaskPoint[],
  ids: ArrayLike<number>,
  mode: MaskMode,
  opts: { p: number; seed: number; usesShared?: (id: number) => boolean; sharedId?: number }
): Record<string, tf.Tensor2D> {
  const n = ids.length
  const shared = opts.sharedId ?? SHARED_MASK_ID
  const bits =
    mode === 'mask' ? Array.from(ids, (id) => sampleMaskBits(points, opts.usesShared?.(id) ? shared : id, opts.p, opts.seed)) : null
  const masks: Record<string, tf.Tensor2D> = {}
  points.forEach((pt, k) => {
    const width = pt.original + pt.extra
    const values = new Float32Array(n * width)
    for (let s = 0; s < n; s++) {
      values.fill(1, s * width, s * width + pt.original)
      if (bits) {
        const b = bits[s]![k]!
        for (let j = 0; j < pt.extra; j++) values[s * width + pt.original + j] = b[j]!
      }
    }
    masks[pt.node] = tf.tensor2d(values, [n, width])
  })
  return masks
}
