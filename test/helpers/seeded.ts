import * as tf from '@tensorflow/tfjs'
import { createRng } from '@main/engine/util/random'

/** n values uniform in [-1, 1), the same for the same seed. */
export function randomArray(n: number, seed: number): Float32Array {
  const rng = createRng(seed)
  return Float32Array.from({ length: n }, () => rng() * 2 - 1)
}

/** A tensor of `shape` filled by randomArray. */
export function randomTensor(shape: number[], seed: number): tf.Tensor {
  return tf.tensor(
    randomArray(
      shape.reduce((a, b) => a * b, 1),
      seed
    ),
    shape
  )
}

/** ‖a − b‖ / ‖b‖: the error of a against the reference b, relative to b's size. */
export function relError(a: Float32Array, b: Float32Array): number {
  let num = 0
  let den = 0
  for (let i = 0; i < a.length; i++) {
    num += (a[i]! - b[i]!) ** 2
    den += b[i]! ** 2
  }
  return Math.sqrt(num / Math.max(den, 1e-30))
}
