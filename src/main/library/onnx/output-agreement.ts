/**
 * When a converted model counts as the same model as its ONNX original: on the same test images,
 * no output differs from onnxruntime's by more than RELATIVE_TOLERANCE × max(1, the largest
 * |output| onnxruntime gives).
 *
 * Why 1e-4: both sides compute in float32 (unit roundoff 6e-8) but sum in different orders and
 * with different kernels (oneDNN or XNNPACK against onnxruntime's MLAS, batch norm folded or not).
 * Such differences grow roughly with √(terms summed) per layer and add up over the layers; on the
 * fixtures (up to 20 layers, native and wasm backends) they measured 4e-7 to 9e-7 of the largest
 * output. A conversion mistake (a transposed kernel, a shifted padding, features in the wrong
 * order) moves outputs by a sizeable fraction of their scale instead (features left in ONNX's
 * order: 1.0 on probabilities), so 1e-4 leaves a hundred times the headroom and still catches any.
 * Scaling by the largest output keeps the rule fair to models with logits in the hundreds;
 * max(1, …) keeps it from shrinking to nothing for probabilities or tiny logits.
 */
export const RELATIVE_TOLERANCE = 1e-4

/** How many test images are compared (fewer when the dataset has fewer, rounded to a fixed batch). */
export const AGREEMENT_SAMPLES = 64

/** Images [n, H, W, C] as [n, C, H, W], the layout ONNX models read. */
export function nhwcToNchw(images: Float32Array, [n, h, w, c]: [number, number, number, number]): Float32Array {
  const out = new Float32Array(n * c * h * w)
  for (let i = 0; i < n; i++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        for (let ch = 0; ch < c; ch++) out[((i * c + ch) * h + y) * w + x] = images[((i * h + y) * w + x) * c + ch]!
  return out
}

export interface Agreement {
  maxAbsDiff: number
  tolerance: number
  /** Non-finite outputs on either side: nothing to compare. */
  nonFinite: 'engine' | 'runtime' | null
}

/** The largest difference between the engine's outputs and onnxruntime's, against the tolerance. */
export function measureAgreement(engine: Float32Array, runtime: Float32Array): Agreement {
  if (engine.length !== runtime.length) throw new Error(`The engine gave ${engine.length} outputs, onnxruntime ${runtime.length}`)
  const nonFinite = !runtime.every(Number.isFinite) ? 'runtime' : !engine.every(Number.isFinite) ? 'engine' : null
  let maxAbsDiff = 0
  let scale = 1
  for (let i = 0; i < engine.length; i++) {
    maxAbsDiff = Math.max(maxAbsDiff, Math.abs(engine[i]! - runtime[i]!))
    scale = Math.max(scale, Math.abs(runtime[i]!))
  }
  return { maxAbsDiff, tolerance: RELATIVE_TOLERANCE * scale, nonFinite }
}
