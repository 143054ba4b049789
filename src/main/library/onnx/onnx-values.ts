import type { ConstTensor } from './onnx-tensors'
import { floatsOf } from './onnx-tensors'
import { inEngineOrder } from './weight-layout'

/**
 * A tensor that depends on the model's input, as the engine holds it. ONNX's shape (batch left out)
 * is kept beside the engine's layout, because the two differ:
 * - 'nhwc': ONNX [C, H, W], the engine [H, W, C];
 * - 'flat': the engine holds one vector per sample, of ONNX's size; ONNX may still see more axes
 *   ([C, 1, 1] after a global pool). `order` gives the ONNX flat index of each engine feature
 *   (a flattened feature map, see weight-layout.ts); null when they agree.
 */
export interface ActValue {
  kind: 'act'
  /** The engine node whose output this is. */
  node: string
  dims: number[]
  layout: 'nhwc' | 'flat'
  order: Int32Array | null
}

export type Value = ActValue | ConstTensor

export const sizeOf = (dims: number[]) => dims.reduce((a, b) => a * b, 1)

/** "16×7×7", for messages. */
export const shapeText = (dims: number[]) => (dims.length ? dims.join('×') : 'a scalar')

export function sameOrder(a: Int32Array | null, b: Int32Array | null): boolean {
  if (a === null || b === null) return a === b
  return a.length === b.length && a.every((v, i) => v === b[i])
}

/**
 * A constant combined elementwise with an activation (a bias), as one value per engine feature on
 * the last axis: per channel for a feature map, per feature for a vector. Null when the constant
 * varies along an axis the engine cannot add it on (over the batch, or over height and width).
 */
export function perFeatureConstant(c: ConstTensor, act: ActValue): Float32Array | null {
  const rank = act.dims.length + 1
  if (c.dims.length > rank) return null
  const dims = [...Array<number>(rank - c.dims.length).fill(1), ...c.dims]
  if (dims[0] !== 1) return null
  for (let k = 1; k < rank; k++) if (dims[k] !== 1 && dims[k] !== act.dims[k - 1]) return null
  const values = floatsOf(c)
  if (act.layout === 'nhwc') {
    if (dims[2] !== 1 || dims[3] !== 1) return null
    const channels = act.dims[0]!
    return Float32Array.from({ length: channels }, (_, ch) => values[dims[1] === 1 ? 0 : ch]!)
  }
  // Broadcast over ONNX's axes into ONNX's flat order, then into the engine's.
  const full = new Float32Array(sizeOf(act.dims))
  const strides = act.dims.map((_, k) => sizeOf(act.dims.slice(k + 1)))
  const constStrides = dims.slice(1).map((d, k) => (d === 1 ? 0 : sizeOf(dims.slice(k + 2))))
  for (let i = 0; i < full.length; i++) {
    let src = 0
    for (let k = 0; k < strides.length; k++) src += (Math.floor(i / strides[k]!) % act.dims[k]!) * constStrides[k]!
    full[i] = values[src]!
  }
  return inEngineOrder(full, act.order)
}
