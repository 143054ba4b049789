import * as tf from '@tensorflow/tfjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { NATIVE_KERNEL_NAMES } from '@main/engine/backend/native-kernels'
import { loadOneDnn, type OneDnnAddon } from '@main/engine/backend/onednn-addon'
import { selectBackend } from '@main/engine/backend/select'
import { skipNative } from '../helpers/native-backend'
import { randomTensor as random, relError } from '../helpers/seeded'

/**
 * Every oneDNN kernel against the pure-JS cpu backend on seeded random inputs: values, and gradients
 * through tf.grads (so the backward kernels are checked exactly as training calls them).
 */

/** The op's output and the gradients of a weighted sum of it with respect to every input. */
function valueAndGrads(inputs: () => tf.Tensor[], op: (...xs: tf.Tensor[]) => tf.Tensor): Float32Array[] {
  return tf.tidy(() => {
    const xs = inputs()
    const y = op(...xs)
    const weights = random(y.shape, 99)
    const grads = tf.grads((...ys: tf.Tensor[]) => tf.sum(tf.mul(op(...ys), weights)))(xs)
    return [y, ...grads].map((t) => t.dataSync() as Float32Array)
  })
}

async function onBoth(inputs: () => tf.Tensor[], op: (...xs: tf.Tensor[]) => tf.Tensor) {
  await tf.setBackend('cpu')
  const ref = valueAndGrads(inputs, op)
  // The native backend is the wasm one with the oneDNN kernels switched on (by selectBackend('native')).
  await tf.setBackend('wasm')
  const got = valueAndGrads(inputs, op)
  return { ref, got }
}

// 1e-4 relative; oneDNN sums in another order (blocked, vectorised), which stays well inside it.
const TOLERANCE = 1e-4

interface ConvCase {
  x: [number, number, number, number]
  k: number
  cout: number
  stride: number
  pad: 'same' | 'valid'
}

const convCases: ConvCase[] = []
for (const pad of ['same', 'valid'] as const)
  for (const stride of [1, 2])
    for (const k of [1, 3, 5]) {
      convCases.push({ x: [3, 11, 9, 3], k, cout: 6, stride, pad })
      convCases.push({ x: [1, 28, 28, 1], k, cout: 8, stride, pad })
    }
convCases.push({ x: [2, 7, 13, 16], k: 3, cout: 32, stride: 1, pad: 'same' })

const poolCases = [
  { x: [3, 11, 9, 5], size: 2, stride: 2, pad: 'valid' as const },
  { x: [1, 11, 9, 3], size: 3, stride: 2, pad: 'same' as const },
  { x: [2, 8, 8, 16], size: 3, stride: 1, pad: 'same' as const },
  { x: [2, 7, 7, 1], size: 2, stride: 1, pad: 'valid' as const }
]

const matMulCases = [
  { a: [5, 7], b: [7, 3], ta: false, tb: false },
  { a: [7, 5], b: [7, 3], ta: true, tb: false },
  { a: [5, 7], b: [3, 7], ta: false, tb: true },
  { a: [7, 5], b: [3, 7], ta: true, tb: true },
  { a: [1, 129], b: [129, 10], ta: false, tb: false },
  { a: [4, 6, 5], b: [4, 5, 2], ta: false, tb: false },
  { a: [4, 5, 6], b: [4, 2, 5], ta: true, tb: true }
]

describe.skipIf(skipNative)('native oneDNN kernels', () => {
  let addon: OneDnnAddon

  beforeAll(async () => {
    const loaded = loadOneDnn()
    if (typeof loaded === 'string') throw new Error(loaded)
    addon = loaded
    await selectBackend('native')
  })

  afterAll(async () => {
    await tf.setBackend('cpu')
  })

  it.each(convCases)('conv2d and both its gradients match the cpu backend (%o)', async (c) => {
    const { ref, got } = await onBoth(
      () => [random(c.x, 1), random([c.k, c.k, c.x[3], c.cout], 2)],
      (x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.stride, c.pad)
    )
    for (let i = 0; i < ref.length; i++) expect(relError(got[i]!, ref[i]!), ['y', 'dx', 'dw'][i]).toBeLessThan(TOLERANCE)
  })

  it.each(poolCases)('max and average pooling and their gradients match the cpu backend (%o)', async (c) => {
    for (const kind of ['max', 'avg'] as const) {
      const { ref, got } = await onBoth(
        () => [random(c.x, 3)],
        (x) => (kind === 'max' ? tf.maxPool : tf.avgPool)(x as tf.Tensor4D, c.size, c.stride, c.pad)
      )
      for (let i = 0; i < ref.length; i++) expect(relError(got[i]!, ref[i]!), `${kind} ${['y', 'dx'][i]}`).toBeLessThan(TOLERANCE)
    }
  })

  it.each(matMulCases)('matmul with transposed operands and broadcast batches matches the cpu backend (%o)', async (c) => {
    const { ref, got } = await onBoth(
      () => [random(c.a, 5), random(c.b, 6)],
      (a, b) => tf.matMul(a!, b!, c.ta, c.tb)
    )
    for (let i = 0; i < ref.length; i++) expect(relError(got[i]!, ref[i]!), ['c', 'da', 'db'][i]).toBeLessThan(TOLERANCE)
  })

  it.each([[2, 9, 9, 3], [5], [128, 10]])('relu and its gradient match the cpu backend, exact zeros included (%o)', async (...shape) => {
    const { ref, got } = await onBoth(
      // Rounded inputs put exact zeros where relu's gradient switches.
      () => [tf.round(tf.mul(random(shape, 12), 3))],
      (x) => tf.relu(x!)
    )
    for (let i = 0; i < ref.length; i++) expect(Array.from(got[i]!), ['y', 'dx'][i]).toEqual(Array.from(ref[i]!))
    // A NaN still reaches the loss, so a diverging run is caught by its loss.
    await tf.setBackend('wasm')
    expect(Array.from(tf.tidy(() => tf.relu(tf.tensor1d([Number.NaN, -1, 2])).dataSync()))).toEqual([Number.NaN, 0, 2])
    // The gradient kernel ran too (its name is ours; TF.js has none).
    expect(Object.keys(addon.implementations()).some((k) => k.startsWith('ReluGrad '))).toBe(true)
  })

  it('a batch of one broadcasts against the other batch', async () => {
    const product = () => tf.tidy(() => tf.matMul(random([4, 5, 6], 5), random([1, 2, 5], 6), true, true).dataSync() as Float32Array)
    await tf.setBackend('cpu')
    const ref = product()
    await tf.setBackend('wasm')
    expect(relError(product(), ref)).toBeLessThan(TOLERANCE)
  })

  it('every hot primitive runs a JIT kernel, never a reference (ref:) one', () => {
    const impls = Object.entries(addon.implementations())
    const kernels = new Set(impls.map(([name]) => name.split(' ')[0]))
    for (const name of NATIVE_KERNEL_NAMES) expect(kernels, name).toContain(name)
    const reference = impls.filter(([, impl]) => impl.startsWith('ref:'))
    expect(reference).toEqual([])
  })

  it('does not leak tensors', async () => {
    await selectBackend('native')
    const before = tf.memory().numTensors
    for (let i = 0; i < 3; i++) {
      const { got } = await onBoth(
        () => [random([2, 9, 9, 3], 7), random([3, 3, 3, 4], 8)],
        (x, w) => tf.maxPool(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same'), 2, 2, 'valid')
      )
      expect(got).toHaveLength(3)
    }
    await selectBackend('native')
    expect(tf.memory().numTensors).toBe(before)
  })
})
