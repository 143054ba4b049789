import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { selectBackend } from '@main/engine/backend/select'
import { perSampleLosses } from '@main/engine/eval/accuracy'
import { buildArchitecture } from '@main/engine/model/architectures'
import { FunctionalModel } from '@main/engine/model/functional-model'

beforeAll(async () => {
  await selectBackend()
})

describe('functional forward pass', () => {
  it('applies per-sample channel masks to the named layer only for the samples they switch off', () => {
    const model = FunctionalModel.initialize(buildArchitecture('cnn-small', [12, 12, 1], 5), 3)
    const x = tf.randomUniform([2, 12, 12, 1], 0, 1, 'float32', 1)
    const plain = model.forward(x)
    const ones = model.forward(x, { masks: { relu1: tf.ones([2, 16]) as tf.Tensor2D } })
    // Sample 0 keeps every channel; sample 1 loses all of relu1's channels.
    const mask = tf.tensor2d([Array(16).fill(1), Array(16).fill(0)])
    const masked = model.forward(x, { masks: { relu1: mask } })
    const diff = (a: tf.Tensor, b: tf.Tensor) => Array.from(tf.max(tf.abs(tf.sub(a, b)), 1).dataSync())
    expect(Math.max(...diff(plain, ones))).toBeLessThan(1e-6)
    const [keep, drop] = diff(plain, masked)
    expect(keep).toBeLessThan(1e-6)
    expect(drop).toBeGreaterThan(1e-3)
    model.dispose()
  })

  it('gives per-sample losses equal to the cross-entropy computed by hand', async () => {
    const model = FunctionalModel.initialize(buildArchitecture('mlp', [4], 3), 1)
    const xs = tf.tensor2d([
      [0.1, 0.2, 0.3, 0.4],
      [1, -1, 0.5, 0]
    ])
    const labels = Int32Array.from([2, 0])
    const losses = await perSampleLosses(model, { x: xs, y: tf.tensor1d(labels, 'int32'), labels, count: 2 }, Int32Array.from([0, 1]))
    const logits = model.forward(xs).arraySync() as number[][]
    logits.forEach((row, i) => {
      const logSumExp = Math.log(row.reduce((a, v) => a + Math.exp(v), 0))
      expect(losses[i]).toBeCloseTo(logSumExp - row[labels[i]!]!, 5)
    })
    model.dispose()
  })
})
