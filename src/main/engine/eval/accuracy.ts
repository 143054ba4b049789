import * as tf from '@tensorflow/tfjs'
import type { FunctionalModel } from '../model/functional-model'
import { gatherBatch, type TensorSplit } from '../train/tensor-data'
import { yieldToEventLoop } from '../util/cancel'
import { perSampleCrossEntropy } from '../train/loss'

const EVAL_BATCH = 500

/** Predicted class of each listed sample (all samples when `indices` is omitted). */
export async function predict(model: FunctionalModel, data: TensorSplit, indices?: Int32Array): Promise<Int32Array> {
  const idx = indices ?? Int32Array.from({ length: data.count }, (_, i) => i)
  const out = new Int32Array(idx.length)
  for (let start = 0; start < idx.length; start += EVAL_BATCH) {
    const chunk = idx.subarray(start, start + EVAL_BATCH)
    const pred = tf.tidy(() => {
      const { x } = gatherBatch(data, chunk)
      return tf.argMax(model.forward(x), 1)
    })
    out.set(await pred.data(), start)
    pred.dispose()
    await yieldToEventLoop()
  }
  return out
}

/** Share of the listed samples whose predicted class equals the label; NaN for an empty list. */
export async function accuracy(model: FunctionalModel, data: TensorSplit, indices?: Int32Array): Promise<number> {
  const idx = indices ?? Int32Array.from({ length: data.count }, (_, i) => i)
  if (idx.length === 0) return Number.NaN
  const pred = await predict(model, data, idx)
  let correct = 0
  for (let i = 0; i < idx.length; i++) if (pred[i] === data.labels[idx[i]!]) correct++
  return correct / idx.length
}

/** Cross-entropy of each listed sample under its label (membership attacks and diagnostics use these). */
export async function perSampleLosses(model: FunctionalModel, data: TensorSplit, indices: Int32Array): Promise<Float32Array> {
  const out = new Float32Array(indices.length)
  for (let start = 0; start < indices.length; start += EVAL_BATCH) {
    const chunk = indices.subarray(start, start + EVAL_BATCH)
    const losses = tf.tidy(() => {
      const { x, y } = gatherBatch(data, chunk)
      return perSampleCrossEntropy(model.forward(x), y)
    })
    out.set(await losses.data(), start)
    losses.dispose()
    await yieldToEventLoop()
  }
  return out
}
