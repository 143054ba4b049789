/**
 * ONNX convolutions and pools pad explicitly (`pads`, or `auto_pad`); the engine's layers know only
 * TF's 'valid' (no padding) and 'same' (output ceil(in / stride), the padding split with the odd
 * pixel at the end). This finds the engine padding that computes exactly what the ONNX node does.
 *
 * PyTorch pads symmetrically, so a 3×3 stride-2 conv with padding 1 on an even size reads one
 * pixel earlier than TF's 'same' would. A convolution can still match exactly: a kernel one tap
 * larger, whose extra tap is zero, makes 'same' pad one more pixel in front. Pools cannot (a zero
 * changes a max or an average), so they must match as they are.
 */

export interface WindowAxis {
  size: number
  kernel: number
  stride: number
  padBegin: number
  padEnd: number
}

export interface WindowPlan {
  padding: 'same' | 'valid'
  /** Zero taps to add to the kernel per axis (height, width), before and after its own. */
  widenBefore: [number, number]
  widenAfter: [number, number]
}

/** The pads `auto_pad` stands for (ONNX: SAME_UPPER puts the odd pixel at the end, SAME_LOWER in front). */
export function autoPads(mode: string, size: number, kernel: number, stride: number): [number, number] | null {
  if (mode === 'VALID') return [0, 0]
  if (mode !== 'SAME_UPPER' && mode !== 'SAME_LOWER') return null
  const total = Math.max((Math.ceil(size / stride) - 1) * stride + kernel - size, 0)
  const small = Math.floor(total / 2)
  return mode === 'SAME_UPPER' ? [small, total - small] : [total - small, small]
}

/** The output size of an ONNX window over one axis; ceilMode as ONNX's ceil_mode. */
export function onnxOutputSize(a: WindowAxis, ceilMode = false): number {
  const span = (a.size + a.padBegin + a.padEnd - a.kernel) / a.stride
  return (ceilMode ? Math.ceil(span) : Math.floor(span)) + 1
}

/** TF's 'same' padding of one axis: [before, after]. */
function tfSamePads(size: number, kernel: number, stride: number): [number, number] {
  const total = Math.max((Math.ceil(size / stride) - 1) * stride + kernel - size, 0)
  return [Math.floor(total / 2), total - Math.floor(total / 2)]
}

/** Zero taps [before, after] under which 'same' reads exactly the pixels the ONNX window reads, or null. */
function sameAxis(a: WindowAxis, maxWiden: number): [number, number] | null {
  if (onnxOutputSize(a) !== Math.ceil(a.size / a.stride)) return null
  for (let widen = 0; widen <= maxWiden; widen++) {
    for (let before = 0; before <= widen; before++) {
      // Output i reads input s·i − padBefore + t for tap t; a tap added in front shifts the kernel by one.
      if (tfSamePads(a.size, a.kernel + widen, a.stride)[0] === a.padBegin + before) return [before, widen - before]
    }
  }
  return null
}

/**
 * The engine padding for a window over height and width, or null when none computes the same.
 * `canWiden`: a convolution may take zero taps; a pool may not.
 */
export function planWindow(axes: [WindowAxis, WindowAxis], canWiden: boolean): WindowPlan | null {
  if (axes.every((a) => a.padBegin === 0 && a.padEnd === 0)) return { padding: 'valid', widenBefore: [0, 0], widenAfter: [0, 0] }
  const plans = axes.map((a) => sameAxis(a, canWiden ? a.kernel : 0))
  if (plans.some((p) => p === null)) return null
  const [h, w] = plans as [[number, number], [number, number]]
  return { padding: 'same', widenBefore: [h[0], w[0]], widenAfter: [h[1], w[1]] }
}
