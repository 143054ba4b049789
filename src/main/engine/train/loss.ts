import * as tf from '@tensorflow/tfjs'

/** Cross-entropy of each sample, from logits and integer labels. Shape [batch]. */
export function perSampleCrossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Tensor1D {
  return tf.tidy(() => {
    const logProbs = tf.logSoftmax(logits)
    const oneHot = tf.oneHot(tf.cast(labels, 'int32'), logits.shape[1])
    return tf.neg(tf.sum(tf.mul(oneHot, logProbs), 1)) as tf.Tensor1D
  })
}

export function meanCrossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => tf.mean(perSampleCrossEntropy(logits, labels)) as tf.Scalar)
}
