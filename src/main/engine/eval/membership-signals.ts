import * as tf from '@tensorflow/tfjs'
import type { ModelSignals } from '@shared/privacy/attacks'
import type { FunctionalModel } from '../model/functional-model'
import { yieldToEventLoop } from '../util/cancel'

const BATCH = 500

/**
 * A model's outputs on the attacked samples, as the attacks read them: the logit-scaled confidence
 * of the true label, z_y − log Σ_{k≠y} exp(z_k) (finite where p_y rounds to 1), and p_y itself.
 */
export async function membershipSignals(model: FunctionalModel, x: tf.Tensor, labels: Int32Array): Promise<ModelSignals> {
  const n = labels.length
  const out: ModelSignals = { phi: new Float64Array(n), p: new Float64Array(n) }
  for (let start = 0; start < n; start += BATCH) {
    const end = Math.min(n, start + BATCH)
    const [phi, p] = tf.tidy(() => {
      const logits = model.forward(tf.slice(x, start, end - start))
      const onehot = tf.oneHot(tf.tensor1d(labels.subarray(start, end), 'int32'), logits.shape[1]!)
      const trueLogit = tf.sum(tf.mul(logits, onehot), 1)
      // The other classes' log-sum-exp: the true class pushed to −∞ before the reduction.
      const others = tf.logSumExp(tf.add(logits, tf.mul(onehot, -1e30)), 1)
      return [tf.sub(trueLogit, others), tf.exp(tf.sum(tf.mul(tf.logSoftmax(logits), onehot), 1))]
    })
    out.phi.set(await phi.data(), start)
    out.p.set(await p.data(), start)
    tf.dispose([phi, p])
    await yieldToEventLoop()
  }
  return out
}
