import * as tf from '@tensorflow/tfjs'
import type { FunctionalModel } from '../model/functional-model'
import { gatherBatch, type TensorSplit } from '../train/tensor-data'
import { yieldToEventLoop } from '../util/cancel'

const EVAL_BATCH = 500

/** Per-sample outputs of one pass: predicted class, softmax confidence in the label, cross-entropy. */
export interface SampleScores {
  pred: Int32Array
  confidence: Float32Array
  loss: Float32Array
}

/** Scores every sample of `data` against `labels` (default: the split's own labels). */
export async function scoreSamples(model: FunctionalModel, data: TensorSplit, labels: Int32Array = data.labels): Promise<SampleScores> {
  const n = data.count
  const out: SampleScores = { pred: new Int32Array(n), confidence: new Float32Array(n), loss: new Float32Array(n) }
  for (let start = 0; start < n; start += EVAL_BATCH) {
    const idx = Int32Array.from({ length: Math.min(EVAL_BATCH, n - start) }, (_, k) => start + k)
    const [pred, conf, loss] = tf.tidy(() => {
      const { x } = gatherBatch(data, idx)
      const logits = model.forward(x)
      const y = tf.oneHot(tf.tensor1d(labels.subarray(start, start + idx.length), 'int32'), logits.shape[1])
      const logProbs = tf.logSoftmax(logits)
      const logP = tf.sum(tf.mul(y, logProbs), 1)
      return [tf.argMax(logits, 1), tf.exp(logP), tf.neg(logP)]
    })
    out.pred.set(await pred.data(), start)
    out.confidence.set(await conf.data(), start)
    out.loss.set(await loss.data(), start)
    tf.dispose([pred, conf, loss])
    await yieldToEventLoop()
  }
  return out
}

/** Fraction of parameter elements whose value differs from the reference model's. */
export async function fractionOfParamsChanged(model: FunctionalModel, reference: FunctionalModel): Promise<number | null> {
  let changed = 0
  let total = 0
  for (const [name, w] of model.weights) {
    const ref = reference.weights.get(name)
    if (!ref || ref.shape.join('x') !== w.shape.join('x')) return null
    const diff = tf.tidy(() => tf.sum(tf.cast(tf.notEqual(w, ref), 'int32')))
    changed += (await diff.data())[0]!
    diff.dispose()
    total += w.size
  }
  return total ? changed / total : null
}
