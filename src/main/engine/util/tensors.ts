import * as tf from '@tensorflow/tfjs'

/**
 * A variable made from a freshly computed value, without leaking that value: `tf.variable(x)`
 * shares x's data but leaves x itself alive, one tensor per call (the soak test counted them).
 */
export function ownedVariable(make: () => tf.Tensor, trainable: boolean): tf.Variable {
  return tf.tidy(() => tf.variable(make(), trainable))
}
