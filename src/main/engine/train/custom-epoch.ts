import type * as tf from '@tensorflow/tfjs'
import type { CancelToken } from '../util/cancel'
import { hashSeed } from '../util/random'
import { type BatchLoss, trainLoop } from './core'
import type { Augment } from './augment'
import type { Optimizer } from './optimizers'
import type { TensorSplit } from './tensor-data'

export type { Batch } from './core'

/** The order seed of a custom pass seeded with `seed`. */
export const customOrderSeed = (seed: number): number => hashSeed(seed, 'custom-epoch')

/**
 * One epoch over `indices` in a seeded order, minimising `loss(batch)` over `vars` at a constant
 * rate with the caller's optimiser: the shared loop for objectives other than plain cross-entropy
 * taken one epoch at a time (NPO, REM's flush and repair, gradient ascent). Returns the steps taken.
 */
export async function runCustomEpoch(o: {
  data: TensorSplit
  indices: Int32Array
  batchSize: number
  seed: number
  vars: tf.Variable[]
  optimizer: Optimizer
  learningRate: number
  loss: BatchLoss
  /** Crop and flip the batches (the task's `train.augment`). */
  augment?: Augment
  /** Steps the method has taken before this epoch, so a divergence names the method's step. */
  stepOffset?: number
  cancel?: CancelToken
}): Promise<{ steps: number; meanLoss: number }> {
  const run = await trainLoop({
    data: o.data,
    vars: o.vars,
    optimizer: o.optimizer,
    epochs: 1,
    batchSize: o.batchSize,
    passes: () => [{ indices: o.indices, orderSeed: customOrderSeed(o.seed), loss: o.loss }],
    rate: { base: o.learningRate },
    augment: o.augment,
    what: 'The unlearning objective',
    stepOffset: o.stepOffset,
    cancel: o.cancel
  })
  return { steps: run.steps, meanLoss: run.meanLoss }
}
