import * as tf from '@tensorflow/tfjs'
import { type CancelToken, throwIfCancelled, yieldToEventLoop } from '../util/cancel'
import { createRng, hashSeed, shuffled } from '../util/random'
import { DivergenceError } from './divergence'
import type { Optimizer } from './optimizers'
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
  cancel?: CancelToken
}): Promise<{ steps: number; meanLoss: number }> {
  const order = shuffled(o.indices, createRng(hashSeed(o.seed, 'custom-epoch')))
  const losses: tf.Scalar[] = []
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
      losses.push(value)
      steps++
      await yieldToEventLoop()
    }
    const values = await Promise.all(losses.map((l) => l.data()))
    const meanLoss = values.reduce((a, v) => a + v[0]!, 0) / Math.max(values.length, 1)
    if (!Number.isFinite(meanLoss)) throw new DivergenceError(`The unlearning objective diverged (mean loss ${meanLoss})`)
    return { steps, meanLoss }
  } finally {
    tf.dispose(losses)
  }
}
