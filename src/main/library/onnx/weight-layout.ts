/**
 * ONNX tensors are channels-first (NCHW, conv weights OIHW); the engine is channels-last (NHWC, conv
 * kernels HWIO, dense kernels [in, out]). These rearrange the weights so the engine computes the
 * same numbers.
 */

/**
 * For a C×H×W feature map flattened by the engine (in H, W, C order): the ONNX flat index (C, H, W
 * order) of each engine feature. Null when the two orders agree (one channel, or a 1×1 map).
 */
export function flattenOrder(c: number, h: number, w: number): Int32Array | null {
  if (c === 1 || h * w === 1) return null
  const order = new Int32Array(c * h * w)
  let j = 0
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let ch = 0; ch < c; ch++) order[j++] = ch * h * w + y * w + x
  return order
}

/** Per-feature values (a bias, batch-norm statistics) in the engine's order. */
export function inEngineOrder(values: Float32Array, order: Int32Array | null): Float32Array {
  return order ? Float32Array.from(order, (i) => values[i]!) : values
}

/**
 * A conv weight [out, in, kh, kw] as the engine's kernel [kh', kw', in, out], with zero taps added
 * before and after the kernel's own (see window-padding.ts).
 */
export function convKernel(
  weight: Float32Array,
  [out, inC, kh, kw]: [number, number, number, number],
  widenBefore: [number, number] = [0, 0],
  widenAfter: [number, number] = [0, 0]
): { values: Float32Array; shape: [number, number, number, number] } {
  const kh2 = kh + widenBefore[0] + widenAfter[0]
  const kw2 = kw + widenBefore[1] + widenAfter[1]
  const values = new Float32Array(kh2 * kw2 * inC * out)
  for (let o = 0; o < out; o++)
    for (let i = 0; i < inC; i++)
      for (let y = 0; y < kh; y++)
        for (let x = 0; x < kw; x++) {
          const to = (((y + widenBefore[0]) * kw2 + x + widenBefore[1]) * inC + i) * out + o
          values[to] = weight[((o * inC + i) * kh + y) * kw + x]!
        }
  return { values, shape: [kh2, kw2, inC, out] }
}

/**
 * A matrix product's weight as the engine's dense kernel [in, out], times `scale` (Gemm's alpha).
 * `transposed`: the weight is [out, in] (Gemm's transB, PyTorch's Linear). `inputOrder` maps the
 * engine's input features to ONNX's, for a dense layer reading a flattened feature map.
 */
export function denseKernel(
  weight: Float32Array,
  [rows, cols]: [number, number],
  opts: { transposed: boolean; scale: number; inputOrder: Int32Array | null }
): { values: Float32Array; shape: [number, number] } {
  const [inF, outF] = opts.transposed ? [cols, rows] : [rows, cols]
  const values = new Float32Array(inF * outF)
  for (let j = 0; j < inF; j++) {
    const src = opts.inputOrder ? opts.inputOrder[j]! : j
    for (let o = 0; o < outF; o++) {
      const v = opts.transposed ? weight[o * cols + src]! : weight[src * cols + o]!
      values[j * outF + o] = opts.scale === 1 ? v : opts.scale * v
    }
  }
  return { values, shape: [inF, outF] }
}
