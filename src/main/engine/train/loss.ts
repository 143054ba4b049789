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

/**
 * KL(teacher ‖ student) at temperature T, from both sides' logits: Σ_c p_t·(log p_t − log p_s),
 * averaged over the batch. Working from logits keeps log p_t finite where p_t underflows.
 */
export function distillationKl(teacherLogits: tf.Tensor2D, studentLogits: tf.Tensor2D, temperature = 1): tf.Scalar {
  return tf.tidy(() => {
    const logTeacher = tf.logSoftmax(tf.div(teacherLogits, temperature))
    const logStudent = tf.logSoftmax(tf.div(studentLogits, temperature))
    return tf.mean(tf.sum(tf.mul(tf.exp(logTeacher), tf.sub(logTeacher, logStudent)), 1)) as tf.Scalar
  })
}
