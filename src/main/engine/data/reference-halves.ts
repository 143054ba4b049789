import { sha256OfIndices } from './splits'
import { createRng, hashSeed, shuffled } from '../util/random'

export interface ReferenceHalf {
  /** The training-pool indices reference model `index` trains on, ascending. */
  indices: Int32Array
  /** Per pool index, 1 when the model trains on it. */
  trainedOn: Uint8Array
  sha256: string
}

/**
 * The half of the training pool reference model `index` trains on. Models come in pairs on
 * complementary halves (2j on one, 2j + 1 on the rest), so every sample is unseen by exactly half
 * of an even number of models; pair j's shuffle depends only on (seed, j), so the first K models
 * are the same whatever K an audit asks for, and a larger K reuses the cached ones.
 */
export function referenceHalf(poolSize: number, seed: number, index: number): ReferenceHalf {
  const pair = Math.floor(index / 2)
  const order = shuffled(
    Int32Array.from({ length: poolSize }, (_, i) => i),
    createRng(hashSeed(seed, `reference-half-${pair}`))
  )
  const cut = Math.floor(poolSize / 2)
  const chosen = index % 2 === 0 ? order.slice(0, cut) : order.slice(cut)
  const indices = Int32Array.from(chosen).sort()
  const trainedOn = new Uint8Array(poolSize)
  for (const i of indices) trainedOn[i] = 1
  return { indices, trainedOn, sha256: sha256OfIndices(indices) }
}
