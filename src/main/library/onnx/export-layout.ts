/**
 * Weight layouts for ONNX export. The engine is NHWC with HWIO conv kernels and [in, out] dense
 * kernels; the exported graph is NCHW as PyTorch users feed it, with OIHW conv weights and
 * [out, in] Gemm weights (transB = 1, as torch.nn.Linear stores them).
 */

/** HWIO → OIHW. */
export function convKernelToOihw(values: Float32Array, shape: number[]): Float32Array {
  const [kh, kw, cin, cout] = shape as [number, number, number, number]
  const out = new Float32Array(values.length)
  for (let h = 0; h < kh; h++)
    for (let w = 0; w < kw; w++)
      for (let i = 0; i < cin; i++)
        for (let o = 0; o < cout; o++) out[((o * cin + i) * kh + h) * kw + w] = values[((h * kw + w) * cin + i) * cout + o]!
  return out
}

/**
 * [in, out] → [out, in]. With `order`, input feature j of the exported graph is the engine's
 * feature order[j], so column j takes the engine's row order[j].
 */
export function denseKernelToOutIn(values: Float32Array, shape: number[], order?: Int32Array): Float32Array {
  const [fin, units] = shape as [number, number]
  const out = new Float32Array(values.length)
  for (let j = 0; j < fin; j++) {
    const row = order ? order[j]! : j
    for (let u = 0; u < units; u++) out[u * fin + j] = values[row * units + u]!
  }
  return out
}

/**
 * Flattening NCHW instead of NHWC puts the features in CHW order: entry j of the exported tensor is
 * the engine's (HWC) feature order[j].
 */
export function chwFlattenOrder(h: number, w: number, c: number): Int32Array {
  const order = new Int32Array(h * w * c)
  for (let ci = 0; ci < c; ci++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) order[(ci * h + y) * w + x] = (y * w + x) * c + ci
  return order
}

/** A per-feature vector (bias, batch-norm statistics) in the exported graph's feature order. */
export function reorder(values: Float32Array, order?: Int32Array): Float32Array {
  return order ? Float32Array.from(order, (i) => values[i]!) : values
}

/** Indices that bring a tensor in `order` back to the engine's order (for Gather on axis 1). */
export function inverseOrder(order: Int32Array): Int32Array {
  const inv = new Int32Array(order.length)
  order.forEach((engineIndex, j) => (inv[engineIndex] = j))
  return inv
}

export function sameOrder(a?: Int32Array, b?: Int32Array): boolean {
  if (a === b) return true
  if (!a || !b || a.length !== b.length) return false
  return a.every((v, i) => v === b[i])
}
