import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { selectBackend } from '@main/engine/backend/select'
import { randomArray, relError } from '../helpers/seeded'

interface Case {
  x: [number, number, number, number]
  k: number
  cout: number
  stride: number
  pad: 'same' | 'valid'
}

function convGrads(c: Case, depthwise = false): { dx: Float32Array; dw: Float32Array } {
  return tf.tidy(() => {
    const x = tf.tensor4d(
      randomArray(
        c.x.reduce((a, b) => a * b),
        1
      ),
      c.x
    )
    const cout = depthwise ? 1 : c.cout
    const w = tf.tensor4d(randomArray(c.k * c.k * c.x[3] * cout, 2), [c.k, c.k, c.x[3], cout])
    const f = (xx: tf.Tensor, ww: tf.Tensor) => {
      const y = depthwise
        ? tf.depthwiseConv2d(xx as tf.Tensor4D, ww as tf.Tensor4D, c.stride, c.pad)
        : tf.conv2d(xx as tf.Tensor4D, ww as tf.Tensor4D, c.stride, c.pad)
      // A fixed non-uniform upstream gradient, so every output position matters differently.
      const weights = tf.tensor(randomArray(y.size, 4), y.shape)
      return tf.sum(tf.mul(y, weights))
    }
    const [dx, dw] = tf.grads(f)([x, w])
    return { dx: dx!.dataSync() as Float32Array, dw: dw!.dataSync() as Float32Array }
  })
}

const cases: Case[] = []
for (const pad of ['same', 'valid'] as const)
  for (const stride of [1, 2])
    for (const k of [1, 3, 5]) {
      cases.push({ x: [3, 11, 9, 4], k, cout: 6, stride, pad })
      cases.push({ x: [2, 28, 28, 1], k, cout: 8, stride, pad })
    }

describe('wasm conv2d gradient kernels', () => {
  beforeAll(async () => {
    await selectBackend('wasm')
  })

  it.each(cases)('match the cpu backend within 1e-4 (%o)', async (c) => {
    await tf.setBackend('cpu')
    const ref = convGrads(c)
    await tf.setBackend('wasm')
    expect(tf.getBackend()).toBe('wasm')
    const before = tf.memory().numTensors
    const got = convGrads(c)
    expect(tf.memory().numTensors).toBe(before)
    expect(got.dw.length).toBe(ref.dw.length)
    expect(got.dx.length).toBe(ref.dx.length)
    expect(relError(got.dw, ref.dw)).toBeLessThan(1e-4)
    expect(relError(got.dx, ref.dx)).toBeLessThan(1e-4)
  })
})

// The wasm backend has no depthwise gradient kernels of its own: these are ours (depth multiplier 1).
describe('wasm depthwise conv gradient kernels', () => {
  beforeAll(async () => {
    await selectBackend('wasm')
  })

  it.each(cases)('match the cpu backend within 1e-4 (%o)', async (c) => {
    await tf.setBackend('cpu')
    const ref = convGrads(c, true)
    await tf.setBackend('wasm')
    const before = tf.memory().numTensors
    const got = convGrads(c, true)
    expect(tf.memory().numTensors).toBe(before)
    expect(got.dw.length).toBe(ref.dw.length)
    expect(relError(got.dw, ref.dw)).toBeLessThan(1e-4)
    expect(relError(got.dx, ref.dx)).toBeLessThan(1e-4)
  })
})

/** Runs `f` on the cpu backend and then on wasm; returns both results' values. */
async function onBothBackends(f: () => tf.Tensor): Promise<{ cpu: Float32Array; wasm: Float32Array; leaked: number }> {
  await tf.setBackend('cpu')
  const cpu = tf.tidy(f).dataSync() as Float32Array
  await tf.setBackend('wasm')
  const before = tf.memory().numTensors
  const result = tf.tidy(f)
  const wasm = result.dataSync() as Float32Array
  result.dispose()
  return { cpu, wasm, leaked: tf.memory().numTensors - before }
}

describe('wasm matmul with transposes', () => {
  beforeAll(async () => {
    await selectBackend('wasm')
  })

  it.each([
    [false, false],
    [true, false],
    [false, true],
    [true, true]
  ])('matches the cpu backend within 1e-5 with transposeA=%s, transposeB=%s, batched and not', async (ta, tb) => {
    for (const batch of [[], [3]]) {
      const a = [...batch, ...(ta ? [13, 7] : [7, 13])]
      const b = [...batch, ...(tb ? [5, 13] : [13, 5])]
      const { cpu, wasm, leaked } = await onBothBackends(() =>
        tf.matMul(
          tf.tensor(
            randomArray(
              a.reduce((p, q) => p * q),
              7
            ),
            a
          ),
          tf.tensor(
            randomArray(
              b.reduce((p, q) => p * q),
              8
            ),
            b
          ),
          ta,
          tb
        )
      )
      expect(wasm.length).toBe(batch.length ? 3 * 7 * 5 : 7 * 5)
      expect(relError(wasm, cpu)).toBeLessThan(1e-5)
      expect(leaked).toBe(0)
    }
  })
})

describe('heap kernels on wasm (max-pool gradient, channel sums and means)', () => {
  beforeAll(async () => {
    await selectBackend('wasm')
  })

  // Quantised inputs make ties in a window common, as ReLU's zeros do: the gradient must go to the same one.
  const quantised = (shape: number[], seed: number) =>
    tf.tensor(
      Float32Array.from(
        randomArray(
          shape.reduce((p, q) => p * q),
          seed
        ),
        (v) => Math.max(0, Math.round(v * 3))
      ),
      shape
    )

  it.each([
    { shape: [3, 8, 8, 5], size: 2, stride: 2, pad: 'valid' as const },
    { shape: [2, 7, 9, 3], size: 2, stride: 2, pad: 'same' as const },
    { shape: [2, 9, 9, 4], size: 3, stride: 2, pad: 'valid' as const },
    { shape: [2, 6, 6, 2], size: 3, stride: 1, pad: 'same' as const }
  ])('max-pool gradients go to the same positions as on the cpu backend, ties and overlaps included (%o)', async (c) => {
    const { cpu, wasm, leaked } = await onBothBackends(() => {
      const x = quantised(c.shape, 11)
      const y = tf.maxPool(x as tf.Tensor4D, c.size, c.stride, c.pad)
      const upstream = tf.tensor(randomArray(y.size, 12), y.shape)
      return tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(v as tf.Tensor4D, c.size, c.stride, c.pad), upstream)))(x)
    })
    expect(wasm.length).toBe(c.shape.reduce((p, q) => p * q))
    // The same positions receive gradient; overlapping windows may add in another order.
    expect(Array.from(wasm, (v) => v !== 0)).toEqual(Array.from(cpu, (v) => v !== 0))
    expect(Math.max(...Array.from(wasm, (v, i) => Math.abs(v - cpu[i]!)))).toBeLessThan(1e-6)
    expect(leaked).toBe(0)
  })

  it.each([
    { shape: [4, 5, 6, 7], axis: [0, 1, 2], keepDims: true },
    { shape: [4, 5, 6, 7], axis: [2, 0, 1], keepDims: false },
    { shape: [33, 9], axis: 0, keepDims: false },
    // Not channel reductions: these must still go to the wasm kernels and be right.
    { shape: [4, 5, 6], axis: [1, 2], keepDims: false },
    { shape: [4, 5, 6], axis: -1, keepDims: true },
    { shape: [4, 5, 6], axis: [0, 1, 2], keepDims: false }
  ])('sums and means match the cpu backend within 1e-6 (%o)', async (c) => {
    for (const op of [tf.sum, tf.mean]) {
      const { cpu, wasm, leaked } = await onBothBackends(() =>
        op(
          tf.tensor(
            randomArray(
              c.shape.reduce((p, q) => p * q),
              13
            ),
            c.shape
          ),
          c.axis,
          c.keepDims
        )
      )
      expect(wasm.length).toBe(cpu.length)
      expect(relError(wasm, cpu)).toBeLessThan(1e-6)
      expect(leaked).toBe(0)
    }
  })

  it.each([
    { shape: [10, 4, 3], indices: [9, 0, 0, 4], axis: 0, dtype: 'float32' as const },
    {
      shape: [7],
      indices: [
        [6, 1],
        [2, 2]
      ],
      axis: 0,
      dtype: 'int32' as const
    },
    { shape: [5, 6], indices: [3, 1], axis: 1, dtype: 'float32' as const }
  ])('gathers rows as the cpu backend does, repeats and other axes included (%o)', async (c) => {
    const { cpu, wasm, leaked } = await onBothBackends(() =>
      tf.gather(
        tf
          .tensor(
            Float32Array.from(
              randomArray(
                c.shape.reduce((p, q) => p * q),
                14
              ),
              (v) => Math.round(v * 100)
            ),
            c.shape
          )
          .cast(c.dtype),
        tf.tensor(c.indices, undefined, 'int32'),
        c.axis
      )
    )
    expect(Array.from(wasm)).toEqual(Array.from(cpu))
    expect(leaked).toBe(0)
  })

  it('refuses a row index out of range, as TF.js does', async () => {
    await tf.setBackend('wasm')
    expect(() => tf.gather(tf.ones([3, 2]), tf.tensor1d([3], 'int32')).dataSync()).toThrow()
  })

  it('a clone shares its memory by reference: each outlives the other, and memory is freed with the last', async () => {
    await tf.setBackend('wasm')
    const bytesBefore = tf.memory().numBytes
    const x = tf.tensor([1, 2, 3, 4], [2, 2])
    const copy = tf.clone(x)
    x.dispose()
    expect(Array.from(copy.dataSync())).toEqual([1, 2, 3, 4])
    const again = tf.clone(copy)
    copy.dispose()
    expect(again.shape).toEqual([2, 2])
    const sum = tf.tidy(() => tf.add(again, 1))
    expect(Array.from(sum.dataSync())).toEqual([2, 3, 4, 5])
    tf.dispose([sum, again])
    tf.disposeVariables()
    expect(tf.memory().numBytes).toBe(bytesBefore)
  })

  it('keeps the shape the reduction asked for', async () => {
    await tf.setBackend('wasm')
    const x = tf.ones([2, 3, 4])
    expect(tf.sum(x, [0, 1], true).shape).toEqual([1, 1, 4])
    expect(tf.mean(x, [0, 1]).shape).toEqual([4])
    expect(Array.from(tf.mean(x, [0, 1]).dataSync())).toEqual([1, 1, 1, 1])
    expect(Array.from(tf.sum(x, [0, 1]).dataSync())).toEqual([6, 6, 6, 6])
    tf.disposeVariables()
  })
})
