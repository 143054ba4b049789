import * as tf from '@tensorflow/tfjs'
import { type CancelToken, throwIfCancelled, yieldToEventLoop } from '../util/cancel'
import { createRng, hashSeed, shuffled } from '../util/random'
import type { Optimizer } from './optimizers'
import { StepWatch } from './step-watch'
import { gatherBatch, type TensorSplit } from './tensor-data'

export interface Batch {
  x: tf.Tensor
  y: tf.Tensor1D
  /** Training-set indices of the samples: their ids for per-sample masks and set membership. */
  ids: Int32Array
}

/**
 * One epoch over `indices` in a seeded order, minimising `loss(batch)` over `vars`. For objectives
 * other than plain cross-entropy (NPO, REM's repair, gradient ascent). Returns the steps taken.
 */
export async function runCustomEpoch(o: {
  data: TensorSplit
  indices: Int32Array
  batchSize: number
  seed: number
  vars: tf.Variable[]
  optimizer: Optimizer
  learningRate: number
  loss: (batch: Batch) => tf.Scalar
  /** Steps the method has taken before this epoch, so a divergence names the method's step. */
  stepOffset?: number
  cancel?: CancelToken
}): Promise<{ steps: number; meanLoss: number }> {
  const order = shuffled(o.indices, createRng(hashSeed(o.seed, 'custom-epoch')))
  const watch = new StepWatch('The unlearning objective')
  const losses: number[] = []
  let steps = 0
  try {
    for (let start = 0; start < order.length; start += o.batchSize) {
      throwIfCancelled(o.cancel)
      const ids = Int32Array.from(order.slice(start, start + o.batchSize))
      const { x, y } = gatherBatch(o.data, ids)
      const value = tf.tidy(() => {
        const { value: v, grads } = tf.variableGrads(() => o.loss({ x, y, ids }), o.vars)
        o.optimizer.step(o.vars, o.vars.map((w) => grads[w.name] ?? tf.zerosLike(w)), o.learningRate)
        return v
      })
      tf.dispose([x, y])
      steps++
      watch.record((o.stepOffset ?? 0) + steps, value, o.vars)
      if (watch.due) losses.push(...(await watch.flush()))
      await yieldToEventLoop()
    }
    losses.push(...(await watch.flush()))
    const meanLoss = losses.reduce((a, v) => a + v, 0) / Math.max(losses.length, 1)
    return { steps, meanLoss }
  } finally {
    watch.dispose()
  }
}
