import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { selectBackend } from '@main/engine/backend/select'
import { buildArchitecture } from '@main/engine/model/architectures'
import { FunctionalModel } from '@main/engine/model/functional-model'
import { runCustomEpoch } from '@main/engine/train/custom-epoch'
import { DivergenceError } from '@main/engine/train/divergence'
import { meanCrossEntropy } from '@main/engine/train/loss'
import { trainClassifier } from '@main/engine/train/loop'
import { createOptimizer } from '@main/engine/train/optimizers'
import type { TensorSplit } from '@main/engine/train/tensor-data'
import { createRng } from '@main/engine/util/random'

// 64 samples at batch 2: 32 steps an epoch, so bad steps fall inside, at the edge of and after the read-back windows.
const SAMPLES = 64
const BATCH = 2

function noise(seed: number): TensorSplit {
  const rng = createRng(seed)
  const labels = Int32Array.from({ length: SAMPLES }, (_, i) => i % 3)
  return {
    x: tf.tensor2d(
      Float32Array.from({ length: SAMPLES * 6 }, () => rng() - 0.5),
      [SAMPLES, 6]
    ),
    y: tf.tensor1d(labels, 'int32'),
    labels,
    count: SAMPLES
  }
}

const all = Int32Array.from({ length: SAMPLES }, (_, i) => i)

/** Identity forward; its gradient is infinite, so the loss stays finite while the weights it updates do not. */
const infiniteGradient = tf.customGrad((...inputs) => ({
  value: tf.clone(inputs[0] as tf.Tensor),
  gradFunc: (dy: tf.Tensor) => tf.mul(dy, Number.POSITIVE_INFINITY)
}))

async function divergence(run: () => Promise<unknown>): Promise<DivergenceError> {
  const err = await run().then(
    () => null,
    (e: unknown) => e
  )
  expect(err).toBeInstanceOf(DivergenceError)
  return err as DivergenceError
}

beforeAll(async () => {
  await selectBackend()
})

describe('a diverging loop stops at the first bad step', () => {
  it.each([1, 9, 10, 11, 27])('unlearning objective with a NaN loss at step %i, and then with NaN weights after it', async (bad) => {
    const data = noise(bad)
    for (const kind of ['loss', 'weights'] as const) {
      const model = FunctionalModel.initialize(buildArchitecture('mlp', [6], 3), 1)
      const optimizer = createOptimizer({ kind: 'sgd', momentum: 0.9 })
      const before = tf.memory().numTensors
      let calls = 0
      const err = await divergence(() =>
        runCustomEpoch({
          data,
          indices: all,
          batchSize: BATCH,
          seed: 3,
          vars: model.trainableVariables(),
          optimizer,
          learningRate: 0.01,
          stepOffset: 100,
          loss: (b) => {
            calls++
            const ce = meanCrossEntropy(model.forward(b.x), b.y)
            if (calls !== bad) return ce
            return kind === 'loss' ? tf.mul(ce, Number.NaN) : (infiniteGradient(ce) as tf.Scalar)
          }
        })
      )
      const message = kind === 'loss' ? `the loss is NaN at step ${100 + bad}` : `the weights hold NaN or infinity after step ${100 + bad}`
      expect(err.message).toBe(`The unlearning objective diverged: ${message}`)
      expect(err.step).toBe(100 + bad)
      // It stops within its read-back window: never more than 9 steps after the bad one.
      expect(calls).toBeGreaterThanOrEqual(bad)
      expect(calls).toBeLessThan(bad + 10)
      optimizer.dispose()
      expect(tf.memory().numTensors).toBe(before)
      model.dispose()
    }
    tf.dispose([data.x, data.y])
  })

  it.each([2, 10, 11, 40])('training whose weights turn NaN before step %i is stopped at that step, across epochs', async (bad) => {
    const data = noise(7)
    const model = FunctionalModel.initialize(buildArchitecture('mlp', [6], 3), 2)
    const [kernel] = model.trainableVariables()
    const err = await divergence(() =>
      trainClassifier(model, data, {
        indices: all,
        epochs: 2,
        batchSize: BATCH,
        optimizer: 'sgd',
        learningRate: 0.01,
        seed: 5,
        stepOffset: 4,
        // A fault outside the loop: the next step computes its loss on NaN weights.
        onProgress: (p) => {
          if (p.step === bad - 1) kernel!.assign(tf.fill(kernel!.shape, Number.NaN))
        }
      })
    )
    expect(err.step).toBe(4 + bad)
    expect(err.message).toMatch(new RegExp(`^Training diverged: the loss is NaN at step ${4 + bad}$`))
    model.dispose()
    tf.dispose([data.x, data.y])
  })

  it('training whose first update overflows the weights is stopped at step 1, though its loss was finite', async () => {
    const data = noise(8)
    const model = FunctionalModel.initialize(buildArchitecture('mlp', [6], 3), 3)
    const err = await divergence(() =>
      trainClassifier(model, data, {
        indices: all,
        epochs: 1,
        batchSize: BATCH,
        optimizer: 'sgd',
        learningRate: Number.POSITIVE_INFINITY,
        seed: 5
      })
    )
    expect(err.step).toBe(1)
    expect(err.message).toBe('Training diverged: the weights hold NaN or infinity after step 1')
    model.dispose()
    tf.dispose([data.x, data.y])
  })
})
