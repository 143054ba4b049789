import * as tf from '@tensorflow/tfjs'

/**
 * NPO on per-sample cross-entropies (β > 0): (2/β)·softplus(β·(CE_ref − CE)). Minimising it raises
 * the model's loss relative to the reference, saturating once the model is far from it.
 * It equals −(2/β)·log σ(β·(CE − CE_ref)).
 */
export function npoLoss(ce: tf.Tensor1D, ceRef: tf.Tensor1D, beta: number): tf.Tensor1D {
  return tf.tidy(() => tf.mul(tf.softplus(tf.mul(tf.sub(ceRef, ce), beta)), 2 / beta) as tf.Tensor1D)
}

/** REM's redirect term: (2/β)·log σ(β·(CE − CE_ref)) = −(2/β)·softplus(−β·(CE − CE_ref)); minimising it fits the data. */
export function redirectLoss(ce: tf.Tensor1D, ceRef: tf.Tensor1D, beta: number): tf.Tensor1D {
  return tf.tidy(() => tf.mul(tf.softplus(tf.mul(tf.sub(ce, ceRef), -beta)), -2 / beta) as tf.Tensor1D)
}
