import * as tf from '@tensorflow/tfjs'
import { convInfo, padAsConv, spreadForInputGradient } from './wasm-kernels'

/**
 * The depthwise conv's two gradients, which the wasm backend does not have, for a depth multiplier
 * of 1 and no dilation (what the engine's depthwise layer is). Each channel is its own convolution,
 * so they are written with the forward depthwise conv and elementwise ops, which wasm runs.
 */

type DepthwiseAttrs = {
  strides: number | [number, number]
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding
  dilations?: number | [number, number]
  dimRoundingMode?: 'floor' | 'round' | 'ceil'
}

function checkSupported(attrs: DepthwiseAttrs, filterShape: number[]): void {
  const d = attrs.dilations ?? 1
  if ((Array.isArray(d) ? d : [d, d]).some((v) => v !== 1)) throw new Error('The depthwise conv gradient on wasm supports no dilation')
  if (filterShape[3] !== 1) throw new Error('The depthwise conv gradient on wasm supports a depth multiplier of 1 only')
}

/** dx: dy spread by the stride and padded, correlated channel by channel with the flipped filter. */
export function depthwiseBackpropInput(
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  inputShape: [number, number, number, number],
  attrs: DepthwiseAttrs
): tf.Tensor4D {
  checkSupported(attrs, filter.shape)
  const info = convInfo(inputShape, filter.shape, attrs)
  return tf.tidy(() =>
    tf.depthwiseConv2d(spreadForInputGradient(dy, filter.shape, inputShape, info), tf.reverse(filter, [0, 1]), 1, 'valid')
  )
}

/** dW[i, j, c] = Σ_{n,p,q} xPad[n, p·s + i, q·s + j, c] · dy[n, p, q, c]: one strided slice of x per filter tap. */
export function depthwiseBackpropFilter(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: [number, number, number, number],
  attrs: DepthwiseAttrs
): tf.Tensor4D {
  checkSupported(attrs, filterShape)
  const info = convInfo(x.shape, filterShape, attrs)
  const [fh, fw, channels] = filterShape
  const [n, ho, wo] = dy.shape
  const [sh, sw] = [info.strideHeight, info.strideWidth]
  return tf.tidy(() => {
    const xPad = padAsConv(x, info)
    const taps: tf.Tensor[] = []
    for (let i = 0; i < fh; i++)
      for (let j = 0; j < fw; j++) {
        const window = tf.stridedSlice(xPad, [0, i, j, 0], [n, i + (ho - 1) * sh + 1, j + (wo - 1) * sw + 1, channels], [1, sh, sw, 1])
        taps.push(tf.sum(tf.mul(window, dy), [0, 1, 2]))
      }
    return tf.reshape(tf.stack(taps), filterShape) as tf.Tensor4D
  })
}

let registered = false

/** Registers both on the wasm backend (idempotent). */
export function registerDepthwiseGradients(): void {
  if (registered) return
  registered = true
  tf.registerKernel({
    kernelName: 'DepthwiseConv2dNativeBackpropInput',
    backendName: 'wasm',
    kernelFunc: ({ inputs, attrs }) => {
      const { dy, filter } = inputs as { dy: tf.Tensor4D; filter: tf.Tensor4D }
      const a = attrs as unknown as DepthwiseAttrs & { inputShape: [number, number, number, number] }
      return depthwiseBackpropInput(dy, filter, a.inputShape, a)
    }
  })
  tf.registerKernel({
    kernelName: 'DepthwiseConv2dNativeBackpropFilter',
    backendName: 'wasm',
    kernelFunc: ({ inputs, attrs }) => {
      const { x, dy } = inputs as { x: tf.Tensor4D; dy: tf.Tensor4D }
      const a = attrs as unknown as DepthwiseAttrs & { filterShape: [number, number, number, number] }
      return depthwiseBackpropFilter(x, dy, a.filterShape, a)
    }
  })
}
