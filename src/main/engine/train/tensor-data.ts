import * as tf from '@tensorflow/tfjs'
import type { Split } from '../data/dataset'

/** A split held as tensors once, so batches are gathered by index with no per-sample JS work. */
export interface TensorSplit {
  x: tf.Tensor
  y: tf.Tensor1D
  /** Labels on the JS side, for splits and counting. */
  labels: Int32Array
  count: number
}

export function toTensorSplit(split: Split, inputShape: number[]): TensorSplit {
  return {
    x: tf.tensor(split.images, [split.count, ...inputShape]),
    y: tf.tensor1d(split.labels, 'int32'),
    labels: split.labels,
    count: split.count
  }
}

export function disposeTensorSplit(s: TensorSplit): void {
  s.x.dispose()
  s.y.dispose()
}

/** Gathers a batch; the caller disposes the result (or runs inside tidy). */
export function gatherBatch(s: TensorSplit, indices: ArrayLike<number>): { x: tf.Tensor; y: tf.Tensor1D } {
  return tf.tidy(() => {
    const idx = tf.tensor1d(Int32Array.from(indices as ArrayLike<number>), 'int32')
    return { x: tf.gather(s.x, idx), y: tf.gather(s.y, idx) as tf.Tensor1D }
  })
}
