import * as tf from '@tensorflow/tfjs'
import { BATCH_NORM_GRAD_KERNEL, BATCH_NORM_KERNEL, nativeKernelsActive } from '../backend/native-kernels'

/**
 * Batch normalisation in training mode with its analytic gradient. tfjs's generic gradient for
 * batchNorm tiles every per-channel tensor up to the activation shape, which cost a third of a
 * cnn-small training step on wasm; the closed form below needs only channel reductions.
 *
 * `mean` and `variance` are the batch moments of x, computed by the caller (it also needs them for
 * the moving averages). The returned dx already accounts for their dependence on x, so their own
 * gradients are zero.
 */
const normalize = tf.customGrad(((
  x: tf.Tensor,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  mean: tf.Tensor,
  variance: tf.Tensor,
  epsilon: tf.Tensor,
  save: tf.GradSaveFunc
) => {
  const invStd = tf.rsqrt(tf.add(variance, epsilon))
  const xhat = tf.mul(tf.sub(x, mean), invStd)
  save([xhat, invStd, gamma])
  return {
    value: tf.add(tf.mul(xhat, gamma), beta),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [xh, inv, g] = saved as [tf.Tensor, tf.Tensor, tf.Tensor]
      const axes = dy.shape.map((_, i) => i).slice(0, -1)
      const n = dy.size / dy.shape.at(-1)!
      const dBeta = tf.sum(dy, axes)
      const dGamma = tf.sum(tf.mul(dy, xh), axes)
      // dx = γ·invStd/n · (n·dy − Σdy − x̂·Σ(dy·x̂))
      const inner = tf.sub(tf.sub(tf.mul(dy, n), dBeta), tf.mul(xh, dGamma))
      const dx = tf.mul(inner, tf.div(tf.mul(g, inv), n))
      return [dx, dGamma, dBeta, tf.zerosLike(mean), tf.zerosLike(variance), tf.zerosLike(epsilon)]
    }
  }
}) as unknown as Parameters<typeof tf.customGrad>[0])

export function batchNormTraining(
  x: tf.Tensor,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  mean: tf.Tensor,
  variance: tf.Tensor,
  epsilon: number
): tf.Tensor {
  return tf.tidy(() => normalize(x, gamma, beta, mean, variance, tf.scalar(epsilon)) as unknown as tf.Tensor)
}

/** Receives the batch moments per channel (for the moving averages); they are freed after it returns. */
export type MomentsSink = (mean: tf.Tensor, variance: tf.Tensor) => void

/**
 * On the native backend, one oneDNN primitive computes the moments and normalises, and one computes the
 * whole gradient: about 20 elementwise ops and reductions fewer each way than the closed form above.
 */
function nativeBatchNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, epsilon: number, onMoments: MomentsSink): tf.Tensor {
  let moments: tf.Tensor[] = []
  const run = tf.customGrad(((xx: tf.Tensor, g: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
    const [y, mean, variance] = tf.engine().runKernel(BATCH_NORM_KERNEL, { x: xx, gamma: g, beta: b }, { epsilon }) as tf.Tensor[]
    save([xx, g, b, mean!, variance!])
    // The moments leave the op's scope for the moving averages, and are freed right after.
    moments = [tf.keep(mean!), tf.keep(variance!)]
    return {
      value: y!,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, sg, sb, sm, sv] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor]
        return tf
          .engine()
          .runKernel(BATCH_NORM_GRAD_KERNEL, { x: sx, dy, gamma: sg, beta: sb, mean: sm, variance: sv }, { epsilon }) as tf.Tensor[]
      }
    }
  }) as unknown as Parameters<typeof tf.customGrad>[0])
  const y = run(x, gamma, beta) as unknown as tf.Tensor
  try {
    onMoments(moments[0]!, moments[1]!)
  } finally {
    tf.dispose(moments)
  }
  return y
}

/** Batch norm in training mode, by the fastest route the active backend has; `onMoments` gets the batch moments. */
export function batchNormTrainingWithMoments(
  x: tf.Tensor,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  epsilon: number,
  onMoments: MomentsSink
): tf.Tensor {
  if (nativeKernelsActive() && x.dtype === 'float32' && x.size > 0) return nativeBatchNorm(x, gamma, beta, epsilon, onMoments)
  const { mean, variance } = tf.moments(x, x.shape.map((_, i) => i).slice(0, -1))
  onMoments(mean, variance)
  return batchNormTraining(x, gamma, beta, mean, variance, epsilon)
}
