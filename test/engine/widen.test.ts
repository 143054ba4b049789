import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { selectBackend } from '@main/engine/backend/select'
import { buildMasks, sampleMaskBits } from '@main/engine/methods/rem/masks'
import { buildArchitecture } from '@main/engine/model/architectures'
import { FunctionalModel } from '@main/engine/model/functional-model'
import { narrowModel, widenModel } from '@main/engine/model/widen'
import { mobileGraph } from '../helpers/mobile-graph'

beforeAll(async () => {
  await selectBackend()
})

const maxDiff = (a: tf.Tensor, b: tf.Tensor) => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!

describe('REM widening', () => {
  it.each(['mlp', 'cnn-small', 'resnet-mini'] as const)(
    '%s: with the new channels masked off, the widened model computes what the original did',
    (arch) => {
      const original = FunctionalModel.initialize(buildArchitecture(arch, [12, 12, 1], 4), 2)
      // Non-trivial BN statistics, so a slip in BN widening would show.
      for (const [name, w] of original.weights)
        if (name.endsWith('moving_mean')) w.assign(tf.randomUniform(w.shape, -0.3, 0.3, 'float32', 5))
      const widened = widenModel(original, 0.5, 7)
      expect(widened.model.parameterCount()).toBeGreaterThan(2 * original.parameterCount())
      for (const pt of widened.maskPoints) expect(pt.extra).toBe(pt.original)
      const x = tf.randomUniform([6, 12, 12, 1], 0, 1, 'float32', 3)
      const ids = [0, 1, 2, 3, 4, 5]
      const drop = buildMasks(widened.maskPoints, ids, 'drop', { p: 0.2, seed: 0 })
      expect(maxDiff(original.forward(x), widened.model.forward(x, { masks: drop }))).toBeLessThan(1e-5)
      // With the new channels on, the output does change: they are real capacity.
      const on = buildMasks(widened.maskPoints, ids, 'mask', { p: 1, seed: 0 })
      expect(maxDiff(original.forward(x), widened.model.forward(x, { masks: on }))).toBeGreaterThan(1e-3)
      // Dropping the new channels gives back the original architecture and function exactly.
      const narrowed = narrowModel(widened)
      expect(narrowed.parameterCount()).toBe(original.parameterCount())
      expect(maxDiff(original.forward(x), narrowed.forward(x))).toBeLessThan(1e-6)
      tf.dispose([x, ...Object.values(drop), ...Object.values(on)])
      for (const m of [original, widened.model, narrowed]) m.dispose()
    }
  )

  it('widens a model built elsewhere (tfjs-layers, residual Add, softmax head) with the same guarantee', async () => {
    const input = tf.input({ shape: [8, 8, 1] })
    const c1 = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(input) as tf.SymbolicTensor
    const bn = tf.layers.batchNormalization().apply(c1) as tf.SymbolicTensor
    const c2 = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same' }).apply(bn) as tf.SymbolicTensor
    const sum = tf.layers.add().apply([c2, bn]) as tf.SymbolicTensor
    const pooled = tf.layers.globalAveragePooling2d({}).apply(tf.layers.activation({ activation: 'relu' }).apply(sum)) as tf.SymbolicTensor
    const out = tf.layers.dense({ units: 3, activation: 'softmax' }).apply(pooled) as tf.SymbolicTensor
    const lm = tf.model({ inputs: input, outputs: out })
    const { fromLayersModel } = await import('@main/engine/model/layers-format')
    const imported = fromLayersModel(lm)
    const widened = widenModel(imported, 0.5, 1)
    const x = tf.randomUniform([3, 8, 8, 1], 0, 1, 'float32', 9)
    const drop = buildMasks(widened.maskPoints, [0, 1, 2], 'drop', { p: 0.2, seed: 0 })
    expect(maxDiff(imported.forward(x), widened.model.forward(x, { masks: drop }))).toBeLessThan(1e-5)
    const narrowed = narrowModel(widened)
    expect(maxDiff(imported.forward(x), narrowed.forward(x))).toBeLessThan(1e-6)
    tf.dispose([x, ...Object.values(drop)])
    lm.dispose()
    for (const m of [imported, widened.model, narrowed]) m.dispose()
  })

  it('widens through zero padding, depthwise convs (new filters per new channel), ReLU6, LeakyReLU and Multiply with the same guarantee', () => {
    const original = FunctionalModel.initialize(mobileGraph([10, 10, 1], 4, false), 3)
    for (const [name, w] of original.weights) if (name.endsWith('/bias')) w.assign(tf.randomUniform(w.shape, -0.3, 0.3, 'float32', 6))
    const widened = widenModel(original, 0.5, 7)
    const wide = (name: string) => widened.model.weights.get(name)!.shape
    // Eight channels and eight new ones: the depthwise kernels and biases follow the channels they read.
    expect(wide('dw1/depthwise_kernel')).toEqual([3, 3, 16, 1])
    expect(wide('dw1/bias')).toEqual([16])
    expect(wide('dw2/depthwise_kernel')).toEqual([3, 3, 16, 1])
    // Masked where a conv, depthwise conv, pool or dense layer reads them.
    expect(widened.maskPoints.map((p) => p.node).sort()).toEqual(['bn1', 'bn2', 'gated', 'pad1', 'pool'])
    const x = tf.randomUniform([5, 10, 10, 1], 0, 1, 'float32', 3)
    const ids = [0, 1, 2, 3, 4]
    const drop = buildMasks(widened.maskPoints, ids, 'drop', { p: 0.2, seed: 0 })
    expect(maxDiff(original.forward(x), widened.model.forward(x, { masks: drop }))).toBeLessThan(1e-5)
    const on = buildMasks(widened.maskPoints, ids, 'mask', { p: 1, seed: 0 })
    expect(maxDiff(original.forward(x), widened.model.forward(x, { masks: on }))).toBeGreaterThan(1e-3)
    const narrowed = narrowModel(widened)
    expect(narrowed.parameterCount()).toBe(original.parameterCount())
    expect(maxDiff(original.forward(x), narrowed.forward(x))).toBeLessThan(1e-6)
    tf.dispose([x, ...Object.values(drop), ...Object.values(on)])
    for (const m of [original, widened.model, narrowed]) m.dispose()
  })

  it('refuses to widen through a concatenation of widened branches, naming the layer', () => {
    const original = FunctionalModel.initialize(mobileGraph([10, 10, 1], 4, true), 3)
    expect(() => widenModel(original, 0.5, 7)).toThrow(
      /Layer "joined" \(Concatenate\) joins widened branches; REM cannot widen through a concatenation of channels/
    )
    original.dispose()
  })

  it('masks are deterministic per sample id, differ between ids, and D_f shares one', () => {
    const original = FunctionalModel.initialize(buildArchitecture('cnn-small', [12, 12, 1], 4), 2)
    const { maskPoints } = widenModel(original, 0.5, 7)
    const a = sampleMaskBits(maskPoints, 17, 0.2, 3).map((b) => Array.from(b))
    expect(sampleMaskBits(maskPoints, 17, 0.2, 3).map((b) => Array.from(b))).toEqual(a)
    expect(sampleMaskBits(maskPoints, 18, 0.2, 3).map((b) => Array.from(b))).not.toEqual(a)
    const on = a.flat().filter(Boolean).length / a.flat().length
    expect(on).toBeGreaterThan(0.05)
    expect(on).toBeLessThan(0.4)
    const shared = new Set([5, 9])
    const masks = buildMasks(maskPoints, [5, 9, 11], 'mask', { p: 0.2, seed: 3, usesShared: (id) => shared.has(id) })
    const rows = masks[maskPoints[0]!.node]!.arraySync()
    expect(rows[0]).toEqual(rows[1])
    expect(rows[2]).not.toEqual(rows[0])
    expect(rows[0]!.slice(0, maskPoints[0]!.original).every((v) => v === 1)).toBe(true)
    tf.dispose(Object.values(masks))
    original.dispose()
  })
})
