import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { selectBackend } from '@main/engine/backend/select'
import { perSampleLosses } from '@main/engine/eval/accuracy'
import { buildArchitecture } from '@main/engine/model/architectures'
import { FunctionalModel } from '@main/engine/model/functional-model'
import { mobileGraph } from '../helpers/mobile-graph'
import { skipNative } from '../helpers/native-backend'
import { randomTensor, relError } from '../helpers/seeded'

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

/** Logits and every weight gradient of the mobile graph (training mode: batch statistics, dropout-free) on the current backend. */
function mobileRun(): Map<string, Float32Array> {
  const model = FunctionalModel.initialize(mobileGraph([10, 10, 2], 4), 5)
  const out = new Map<string, Float32Array>()
  tf.tidy(() => {
    const x = randomTensor([6, 10, 10, 2], 21)
    const labels = tf.oneHot(tf.tensor1d([0, 1, 2, 3, 0, 1], 'int32'), 4)
    out.set('logits', model.forward(tf.mul(x, 4)).dataSync() as Float32Array)
    const { grads } = tf.variableGrads(
      () => tf.losses.softmaxCrossEntropy(labels, model.forward(tf.mul(x, 4), { training: true })) as tf.Scalar,
      model.trainableVariables()
    )
    for (const [name, w] of model.weights) if (grads[w.name]) out.set(name, grads[w.name]!.dataSync() as Float32Array)
  })
  model.dispose()
  return out
}

describe('depthwise conv, zero padding, ReLU6, LeakyReLU, Multiply and Concatenate on each backend', () => {
  let reference: Map<string, Float32Array>
  beforeAll(async () => {
    await tf.setBackend('cpu')
    reference = mobileRun()
  })

  it.each([['wasm', false] as const, ['native', skipNative] as const])(
    '%s: the logits and every weight gradient match the cpu backend within 1e-4',
    async (backend, skip) => {
      if (skip) return
      await selectBackend(backend)
      const got = mobileRun()
      expect([...got.keys()].sort()).toEqual([...reference.keys()].sort())
      expect(got.has('dw1/depthwise_kernel') && got.has('dw2/depthwise_kernel')).toBe(true)
      let worst = 0
      for (const [name, values] of reference) {
        const err = relError(got.get(name)!, values)
        expect(err, name).toBeLessThan(1e-4)
        worst = Math.max(worst, err)
      }
      console.log(`mobile graph on ${backend}: largest relative error against cpu ${worst.toExponential(1)}`)
    }
  )
})
