import * as tf from '@tensorflow/tfjs'
import { overrideWasmKernel } from './kernel-override'

/**
 * Kernels the wasm backend lacks (Conv2DBackpropFilter; the depthwise ones are in depthwise-kernels.ts) or runs slowly (Conv2DBackpropInput, a
 * scalar loop 10-17x slower than the forward conv; BatchMatMul with a transpose), rewritten in terms
 * of the kernels it runs fast through XNNPACK.
 */

type ConvAttrs = {
  strides: number | [number, number]
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding
  dimRoundingMode?: 'floor' | 'round' | 'ceil'
}

export function convInfo(
  xShape: [number, number, number, number],
  filterShape: [number, number, number, number],
  attrs: ConvAttrs
): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(xShape, filterShape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, false, 'channelsLast')
}

/** The input padded as the convolution pads it (TF's 'same' puts the odd pixel at the end). */
export function padAsConv(x: tf.Tensor4D, info: tf.backend_util.Conv2DInfo): tf.Tensor4D {
  const p = info.padInfo
  return tf.pad(x, [
    [0, 0],
    [p.top, p.bottom],
    [p.left, p.right],
    [0, 0]
  ])
}

/** dW[i,j,ci,co] = Σ_{n,p,q} xPad[n, p·s+i, q·s+j, ci] · dy[n,p,q,co], as a dilated convolution. */
export function conv2dBackpropFilter(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: [number, number, number, number],
  attrs: ConvAttrs
): tf.Tensor4D {
  const info = convInfo(x.shape, filterShape, attrs)
  const [fh, fw, cin, cout] = filterShape
  return tf.tidy(() => {
    const xPad = padAsConv(x, info)
    const xT = tf.transpose(xPad, [3, 1, 2, 0]) // [Cin, Hp, Wp, N]
    const dyT = tf.transpose(dy, [1, 2, 0, 3]) // [Ho, Wo, N, Cout]
    const full = tf.conv2d(xT, dyT as tf.Tensor4D, 1, 'valid', 'NHWC', [info.strideHeight, info.strideWidth]) // [Cin, >=fh, >=fw, Cout]
    const cut = tf.slice(full, [0, 0, 0, 0], [cin, fh, fw, cout])
    return tf.transpose(cut, [1, 2, 0, 3])
  })
}

/** dx via zero-insertion of dy by the stride, then a full correlation with the flipped filter. */
export function conv2dBackpropInput(
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  inputShape: [number, number, number, number],
  attrs: ConvAttrs
): tf.Tensor4D {
  const info = convInfo(inputShape, filter.shape, attrs)
  return tf.tidy(() => {
    const padded = spreadForInputGradient(dy, filter.shape, inputShape, info)
    const flipped = tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D
    return tf.conv2d(padded, flipped, 1, 'valid')
  })
}

/**
 * dy spread by the stride (zeros between its rows and columns) and padded so that a 'valid'
 * correlation with the flipped filter gives the input's gradient, for a plain or a depthwise conv.
 */
export function spreadForInputGradient(
  dy: tf.Tensor4D,
  [fh, fw]: number[],
  [, h, w]: [number, number, number, number],
  info: tf.backend_util.Conv2DInfo
): tf.Tensor4D {
  const [n, ho, wo, cout] = dy.shape
  const sh = info.strideHeight
  const sw = info.strideWidth
  let dilated: tf.Tensor4D = dy
  if (sh > 1 || sw > 1) {
    const spread = tf.pad(tf.reshape(dy, [n, ho, 1, wo, 1, cout]), [
      [0, 0],
      [0, 0],
      [0, sh - 1],
      [0, 0],
      [0, sw - 1],
      [0, 0]
    ])
    const whole = tf.reshape(spread, [n, ho * sh, wo * sw, cout])
    dilated = tf.slice(whole, [0, 0, 0, 0], [n, (ho - 1) * sh + 1, (wo - 1) * sw + 1, cout]) as tf.Tensor4D
  }
  const top = fh! - 1 - info.padInfo.top
  const left = fw! - 1 - info.padInfo.left
  const bottom = h + fh! - 1 - top - dilated.shape[1]
  const right = w + fw! - 1 - left - dilated.shape[2]
  return padOrCrop(dilated, top, bottom, left, right)
}

function padOrCrop(t: tf.Tensor4D, top: number, bottom: number, left: number, right: number): tf.Tensor4D {
  const padded = tf.pad(t, [
    [0, 0],
    [Math.max(top, 0), Math.max(bottom, 0)],
    [Math.max(left, 0), Math.max(right, 0)],
    [0, 0]
  ])
  const cropTop = Math.max(-top, 0)
  const cropLeft = Math.max(-left, 0)
  const hh = padded.shape[1] - cropTop - Math.max(-bottom, 0)
  const ww = padded.shape[2] - cropLeft - Math.max(-right, 0)
  return tf.slice(padded, [0, cropTop, cropLeft, 0], [t.shape[0], hh, ww, t.shape[3]]) as tf.Tensor4D
}

/**
 * The wasm BatchMatMul reaches XNNPACK's speed only without transposes (measured 21-24 GFLOP/s);
 * with transposeA or transposeB it takes a scalar path 15-30x slower, and every backward pass of
 * a dense layer asks for one. Transposing the operand first costs one memory pass.
 */
function registerFastBatchMatMul(): void {
  overrideWasmKernel('BatchMatMul', (args) => {
    const { transposeA, transposeB } = args.attrs as unknown as { transposeA: boolean; transposeB: boolean }
    if (!transposeA && !transposeB) return null
    const { a, b } = args.inputs as { a: tf.Tensor; b: tf.Tensor }
    // Swaps the last two axes, keeping any batch axes in front.
    const swapLast = (t: tf.Tensor) => tf.transpose(t, [...Array(t.rank - 2).keys(), t.rank - 1, t.rank - 2])
    return tf.tidy(() => tf.matMul(transposeA ? swapLast(a) : a, transposeB ? swapLast(b) : b))
  })
}

let registered = false

/** Registers the replacement kernels on the wasm backend (idempotent). */
export function registerWasmGradientKernels(): void {
  if (registered) return
  registered = true
  registerFastBatchMatMul()
  tf.registerKernel({
    kernelName: 'Conv2DBackpropFilter',
    backendName: 'wasm',
    kernelFunc: ({ inputs, attrs }) => {
      const { x, dy } = inputs as { x: tf.Tensor4D; dy: tf.Tensor4D }
      const a = attrs as unknown as ConvAttrs & { filterShape: [number, number, number, number] }
      return conv2dBackpropFilter(x, dy, a.filterShape, a)
    }
  })
  overrideWasmKernel('Conv2DBackpropInput', ({ inputs, attrs }) => {
    const { dy, filter } = inputs as { dy: tf.Tensor4D; filter: tf.Tensor4D }
    const a = attrs as unknown as ConvAttrs & { inputShape: [number, number, number, number] }
    return conv2dBackpropInput(dy, filter, a.inputShape, a)
  })
}
