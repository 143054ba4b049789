import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { selectBackend } from '@main/engine/backend/select'
import { makeForgetSplit } from '@main/engine/data/splits'
import { accuracy } from '@main/engine/eval/accuracy'
import { buildArchitecture } from '@main/engine/model/architectures'
import { FunctionalModel } from '@main/engine/model/functional-model'
import { trainClassifier } from '@main/engine/train/loop'
import type { TensorSplit } from '@main/engine/train/tensor-data'
import { createRng } from '@main/engine/util/random'

/** Four separable blobs in 8 dimensions: a task an MLP must learn in a few epochs. */
function blobs(n: number, seed: number): TensorSplit {
  const rng = createRng(seed)
  const labels = Int32Array.from({ length: n }, (_, i) => i % 4)
  const x = new Float32Array(n * 8)
  for (let i = 0; i < n; i++) for (let d = 0; d < 8; d++) x[i * 8 + d] = (d % 4 === labels[i] ? 2 : 0) + (rng() - 0.5)
  return { x: tf.tensor2d(x, [n, 8]), y: tf.tensor1d(labels, 'int32'), labels, count: n }
}

beforeAll(async () => {
  await selectBackend()
})

describe('training', () => {
  it('learns a separable task, is repeatable per seed, and leaks no tensors', async () => {
    const data = blobs(256, 1)
    const all = Int32Array.from({ length: 256 }, (_, i) => i)
    const run = async () => {
      const model = FunctionalModel.initialize(buildArchitecture('mlp', [8], 4), 5)
      const before = tf.memory().numTensors
      const result = await trainClassifier(model, data, {
        indices: all,
        epochs: 3,
        batchSize: 32,
        optimizer: 'sgd',
        learningRate: 0.05,
        seed: 9
      })
      expect(tf.memory().numTensors).toBe(before)
      const acc = await accuracy(model, data)
      const weights = Array.from(model.weights.get('logits/kernel')!.dataSync())
      model.dispose()
      return { acc, steps: result.steps, weights }
    }
    const a = await run()
    const b = await run()
    expect(a.acc).toBeGreaterThan(0.95)
    expect(a.steps).toBe(24)
    expect(b.weights).toEqual(a.weights)
  })

  it('trains with Adam and batch norm, and the BN moving statistics move', async () => {
    const data = blobs(128, 2)
    const graph = buildArchitecture('cnn-small', [8, 8, 1], 4)
    const images = tf.tidy(() => tf.reshape(tf.concat([data.x, data.x, data.x, data.x, data.x, data.x, data.x, data.x], 1), [128, 8, 8, 1]))
    const split: TensorSplit = { ...data, x: images }
    const model = FunctionalModel.initialize(graph, 0)
    await trainClassifier(model, split, {
      indices: Int32Array.from({ length: 128 }, (_, i) => i),
      epochs: 4,
      batchSize: 32,
      optimizer: 'adam',
      learningRate: 0.01,
      seed: 1
    })
    expect(Array.from(model.weights.get('bn1/moving_mean')!.dataSync()).some((v) => Math.abs(v) > 1e-3)).toBe(true)
    expect(await accuracy(model, split)).toBeGreaterThan(0.9)
    model.dispose()
    images.dispose()
  })

  it('stops with a clear error when the loss diverges', async () => {
    const data = blobs(64, 3)
    const model = FunctionalModel.initialize(buildArchitecture('mlp', [8], 4), 0)
    await expect(
      trainClassifier(model, data, {
        indices: Int32Array.from({ length: 64 }, (_, i) => i),
        epochs: 5,
        batchSize: 16,
        optimizer: 'sgd',
        learningRate: 1e6,
        seed: 0
      })
    ).rejects.toThrow(/Training diverged: the loss is (NaN|Infinity) at step \d+/)
    model.dispose()
  })
})

describe('forget splits', () => {
  const labels = Int32Array.from({ length: 1000 }, (_, i) => (i * 7) % 10)

  it('random: the right size, deterministic per seed, different across seeds, disjoint from retain', () => {
    const a = makeForgetSplit({ kind: 'random', fraction: 0.1 }, labels, 0)
    const b = makeForgetSplit({ kind: 'random', fraction: 0.1 }, labels, 0)
    const c = makeForgetSplit({ kind: 'random', fraction: 0.1 }, labels, 1)
    expect(a.forget.length).toBe(100)
    expect(a.retain.length).toBe(900)
    expect(Array.from(b.forget)).toEqual(Array.from(a.forget))
    expect(b.forgetSha256).toBe(a.forgetSha256)
    expect(c.forgetSha256).not.toBe(a.forgetSha256)
    const retain = new Set(a.retain)
    expect(Array.from(a.forget).some((i) => retain.has(i))).toBe(false)
  })

  it('class and non-IID random draw only from the named classes', () => {
    const cls = makeForgetSplit({ kind: 'class', classes: [3, 4] }, labels, 0)
    expect(cls.forget.length).toBe(200)
    expect(Array.from(cls.forget).every((i) => labels[i] === 3 || labels[i] === 4)).toBe(true)
    const nonIid = makeForgetSplit({ kind: 'random', fraction: 0.5, classes: [1] }, labels, 0)
    expect(nonIid.forget.length).toBe(50)
    expect(Array.from(nonIid.forget).every((i) => labels[i] === 1)).toBe(true)
  })
})
