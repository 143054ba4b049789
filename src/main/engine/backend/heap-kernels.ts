import * as tf from '@tensorflow/tfjs'
import { type KernelArgs, overrideWasmKernel } from './kernel-override'

/**
 * Kernels written in plain JavaScript over the wasm backend's heap, for ops whose wasm versions
 * are far slower than one pass over memory (measured on a 128×28×28×16 batch):
 * - MaxPoolGrad: 45 ms against 1.1 ms for the forward pool;
 * - Sum and Mean over every axis but the channels (batch norm's statistics and its gradients):
 *   4.7 ms for 1.6M floats, because the wasm kernel first transposes the reduced axes to the end;
 * - GatherV2 of whole rows (every training batch is gathered from the data): 2.5 ms for 128 rows of
 *   784 floats, where copying the rows takes a few microseconds;
 * - Identity, which the wasm kernel answers with a copy: TF.js clones every tensor a gradient saves
 *   (about 200 a resnet-mini step, 6.4 ms). Tensor memory is never written after its kernel returns,
 *   so the clone shares it, counted by reference, as the cpu backend's does.
 * Anything these do not cover (other dtypes, dilations, other axes) goes to the wasm kernel.
 */

interface HeapBackend {
  incRef(dataId: object): void
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array
}

const heapOf = (args: KernelArgs) => args.backend as unknown as HeapBackend

/**
 * dx of a max pool: each window's gradient goes to its first maximum in row-major order (as the
 * cpu backend picks it), windows that overlap add up, and padding never receives any.
 */
function maxPoolGrad(args: KernelArgs): tf.TensorInfo | null {
  const backend = heapOf(args)
  const { dy, input } = args.inputs as { dy: tf.TensorInfo; input: tf.TensorInfo }
  const a = args.attrs as unknown as {
    filterSize: number | [number, number]
    strides: number | [number, number]
    pad: 'valid' | 'same' | number
    dimRoundingMode?: 'floor' | 'round' | 'ceil'
  }
  if (input.dtype !== 'float32' || dy.dtype !== 'float32') return null
  const info = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    a.filterSize,
    a.strides,
    1,
    a.pad,
    a.dimRoundingMode
  )
  const dxInfo = backend.makeOutput(input.shape as number[], 'float32')
  // Views are taken after the allocation above: a heap that grows detaches older views.
  const dx = backend.typedArrayFromHeap(dxInfo) as Float32Array
  const x = backend.typedArrayFromHeap(input) as Float32Array
  const g = backend.typedArrayFromHeap(dy) as Float32Array
  dx.fill(0)
  const { batchSize, inHeight, inWidth, inChannels: c, outHeight, outWidth, strideHeight, strideWidth, filterHeight, filterWidth } = info
  const { top, left } = info.padInfo
  let o = 0
  for (let b = 0; b < batchSize; b++) {
    const image = b * inHeight * inWidth * c
    for (let yr = 0; yr < outHeight; yr++) {
      const r0 = yr * strideHeight - top
      const rStart = Math.max(r0, 0)
      const rEnd = Math.min(r0 + filterHeight, inHeight)
      for (let yc = 0; yc < outWidth; yc++) {
        const c0 = yc * strideWidth - left
        const cStart = Math.max(c0, 0)
        const cEnd = Math.min(c0 + filterWidth, inWidth)
        for (let d = 0; d < c; d++, o++) {
          let best = Number.NEGATIVE_INFINITY
          let at = -1
          for (let r = rStart; r < rEnd; r++) {
            for (let col = cStart; col < cEnd; col++) {
              const i = image + (r * inWidth + col) * c + d
              if (x[i]! > best) {
                best = x[i]!
                at = i
              }
            }
          }
          if (at >= 0) dx[at]! += g[o]!
        }
      }
    }
  }
  return dxInfo
}

/** Sum or mean over every axis but the last of a float32 tensor; null for any other reduction. */
function channelReduction(mean: boolean) {
  return (args: KernelArgs): tf.TensorInfo | null => {
    const backend = heapOf(args)
    const { x } = args.inputs as { x: tf.TensorInfo }
    const { axis, keepDims } = args.attrs as unknown as { axis: number | number[]; keepDims: boolean }
    const rank = x.shape.length
    if (x.dtype !== 'float32' || rank < 2 || tf.util.sizeFromShape(x.shape) === 0) return null
    const axes = tf.util.parseAxisParam(axis, x.shape).sort((p, q) => p - q)
    if (axes.length !== rank - 1 || axes.some((ax, i) => ax !== i)) return null
    const channels = x.shape[rank - 1]!
    const rows = tf.util.sizeFromShape(x.shape) / channels
    const outInfo = backend.makeOutput(keepDims ? [...Array(rank - 1).fill(1), channels] : [channels], 'float32')
    const out = backend.typedArrayFromHeap(outInfo) as Float32Array
    const values = backend.typedArrayFromHeap(x) as Float32Array
    // Double-precision partial sums: the rows can number in the millions.
    const acc = new Float64Array(channels)
    for (let r = 0, i = 0; r < rows; r++) for (let ch = 0; ch < channels; ch++, i++) acc[ch]! += values[i]!
    for (let ch = 0; ch < channels; ch++) out[ch] = mean ? acc[ch]! / rows : acc[ch]!
    return outInfo
  }
}

/** Whole rows of x (axis 0) picked by int32 indices, copied row by row; null for anything else. */
function gatherRows(args: KernelArgs): tf.TensorInfo | null {
  const backend = heapOf(args)
  const { x, indices } = args.inputs as { x: tf.TensorInfo; indices: tf.TensorInfo }
  const { axis, batchDims } = args.attrs as unknown as { axis: number; batchDims: number }
  if ((x.dtype !== 'float32' && x.dtype !== 'int32') || indices.dtype !== 'int32' || (batchDims ?? 0) !== 0 || x.shape.length === 0)
    return null
  if (tf.util.parseAxisParam(axis, x.shape)[0] !== 0) return null
  const rows = x.shape[0]!
  const rowSize = tf.util.sizeFromShape(x.shape.slice(1))
  const picked = backend.typedArrayFromHeap(indices) as Int32Array
  // Out-of-range indices go to the wasm kernel, which reports them as TF.js does.
  for (let i = 0; i < picked.length; i++) if (picked[i]! < 0 || picked[i]! >= rows) return null
  const outInfo = backend.makeOutput([...indices.shape, ...x.shape.slice(1)], x.dtype)
  const out = backend.typedArrayFromHeap(outInfo) as Float32Array | Int32Array
  const from = backend.typedArrayFromHeap(x) as Float32Array | Int32Array
  const at = backend.typedArrayFromHeap(indices) as Int32Array
  for (let i = 0; i < at.length; i++) out.set(from.subarray(at[i]! * rowSize, (at[i]! + 1) * rowSize), i * rowSize)
  return outInfo
}

function sharedIdentity(args: KernelArgs): tf.TensorInfo | null {
  const { x } = args.inputs as { x: tf.TensorInfo }
  if (x.dtype === 'string') return null
  heapOf(args).incRef(x.dataId)
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype }
}

let registered = false

/** Registers the heap kernels on the wasm backend (idempotent). */
export function registerHeapKernels(): void {
  if (registered) return
  registered = true
  overrideWasmKernel('MaxPoolGrad', maxPoolGrad)
  overrideWasmKernel('Sum', channelReduction(false))
  overrideWasmKernel('Mean', channelReduction(true))
  overrideWasmKernel('GatherV2', gatherRows)
  overrideWasmKernel('Identity', sharedIdentity)
}
