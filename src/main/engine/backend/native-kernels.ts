import * as tf from '@tensorflow/tfjs'
import { type KernelArgs, overrideWasmKernel } from './kernel-override'
import type { OneDnnAddon } from './onednn-addon'

/**
 * The `native` backend: the wasm backend's tensors and kernels, with the kernels an audit spends its
 * time in (convolutions and their gradients, matmuls, pooling) run by oneDNN in place on the wasm heap.
 * Measured before choosing this over a backend owning native memory: the heap is an ordinary
 * ArrayBuffer, so the addon reads and writes tensors where they lie, and every other op stays on wasm
 * with no copy between the two.
 *
 * The overrides stay registered once installed; `setNativeKernels(false)` hands every call back to
 * the wasm kernels, so one process can compare both.
 */

interface WasmHeapBackend {
  wasm: { HEAPU8: Uint8Array }
  dataIdMap: { get(id: object): { memoryOffset: number } | undefined }
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo
}

type Pad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding
type Pair = number | [number, number]

let addon: OneDnnAddon | null = null
let enabled = false

const backendOf = (args: KernelArgs) => args.backend as unknown as WasmHeapBackend
const offsetOf = (backend: WasmHeapBackend, t: tf.TensorInfo) => backend.dataIdMap.get(t.dataId)!.memoryOffset

/** True when every tensor is a non-empty float32 one, which is all the addon takes. */
const floats = (...ts: tf.TensorInfo[]) => ts.every((t) => t.dtype === 'float32' && tf.util.sizeFromShape(t.shape) > 0)

/** oneDNN derives each output size from the padding; a shape TF.js rounds otherwise goes to wasm. */
function consistent(
  inSize: number,
  pad0: number,
  pad1: number,
  window: number,
  stride: number,
  dilation: number,
  outSize: number
): boolean {
  return Math.floor((inSize + pad0 + pad1 - ((window - 1) * dilation + 1)) / stride) + 1 === outSize
}

function convDims(info: tf.backend_util.Conv2DInfo): Int32Array | null {
  const p = info.padInfo
  if (info.dataFormat !== 'channelsLast') return null
  if (!consistent(info.inHeight, p.top, p.bottom, info.filterHeight, info.strideHeight, info.dilationHeight, info.outHeight)) return null
  if (!consistent(info.inWidth, p.left, p.right, info.filterWidth, info.strideWidth, info.dilationWidth, info.outWidth)) return null
  return Int32Array.from([
    info.batchSize,
    info.inHeight,
    info.inWidth,
    info.inChannels,
    info.filterHeight,
    info.filterWidth,
    info.outChannels,
    info.outHeight,
    info.outWidth,
    info.strideHeight,
    info.strideWidth,
    p.top,
    p.left,
    p.bottom,
    p.right,
    info.dilationHeight,
    info.dilationWidth
  ])
}

function poolDims(info: tf.backend_util.Conv2DInfo, isMax: boolean): Int32Array | null {
  const p = info.padInfo
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1) return null
  if (!consistent(info.inHeight, p.top, p.bottom, info.filterHeight, info.strideHeight, 1, info.outHeight)) return null
  if (!consistent(info.inWidth, p.left, p.right, info.filterWidth, info.strideWidth, 1, info.outWidth)) return null
  return Int32Array.from([
    info.batchSize,
    info.inHeight,
    info.inWidth,
    info.inChannels,
    info.outHeight,
    info.outWidth,
    info.filterHeight,
    info.filterWidth,
    info.strideHeight,
    info.strideWidth,
    p.top,
    p.left,
    p.bottom,
    p.right,
    isMax ? 1 : 0
  ])
}

const conv2dInfo = (
  xShape: number[],
  filterShape: number[],
  a: { strides: Pair; pad: Pad; dilations?: Pair; dimRoundingMode?: 'floor' | 'round' | 'ceil'; dataFormat?: string }
) =>
  tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    a.strides,
    a.dilations ?? 1,
    a.pad,
    a.dimRoundingMode,
    false,
    a.dataFormat === 'NCHW' ? 'channelsFirst' : 'channelsLast'
  )

/**
 * Runs `run` with the heap's current ArrayBuffer once the output exists: allocating it may grow the wasm
 * memory, which replaces the buffer, so it is read only afterwards.
 */
function withOutput(backend: WasmHeapBackend, shape: number[], run: (heap: ArrayBuffer, out: number) => void): tf.TensorInfo {
  const out = backend.makeOutput(shape, 'float32')
  run(backend.wasm.HEAPU8.buffer as ArrayBuffer, offsetOf(backend, out))
  return out
}

type ConvAttrs = Parameters<typeof conv2dInfo>[2] & { inputShape?: number[]; filterShape?: number[] }
type ConvCall = (heap: ArrayBuffer, first: number, second: number, out: number, dims: Int32Array) => void

/**
 * One of the three convolution kernels. Each takes two tensors (named `inputs`), knows the input and
 * filter shapes from them or its attributes, and writes one output of the shape `output` picks.
 */
function convKernel(
  inputs: [string, string],
  shapes: (t: Record<string, tf.TensorInfo>, a: ConvAttrs) => { input: number[]; filter: number[] },
  output: (s: { input: number[]; filter: number[]; out: number[] }) => number[],
  call: () => ConvCall
) {
  return (args: KernelArgs): tf.TensorInfo | null => {
    const t = args.inputs as Record<string, tf.TensorInfo>
    const [first, second] = [t[inputs[0]]!, t[inputs[1]]!]
    const a = args.attrs as unknown as ConvAttrs
    if (!floats(first, second)) return null
    const shape = shapes(t, a)
    const info = conv2dInfo(shape.input, shape.filter, a)
    const dims = convDims(info)
    if (!dims) return null
    const backend = backendOf(args)
    return withOutput(backend, output({ ...shape, out: info.outShape }), (heap, out) =>
      call()(heap, offsetOf(backend, first), offsetOf(backend, second), out, dims)
    )
  }
}

const conv2d = convKernel(
  ['x', 'filter'],
  (t) => ({ input: t.x!.shape, filter: t.filter!.shape }),
  (s) => s.out,
  () => addon!.conv2d
)
const conv2dBackpropInput = convKernel(
  ['dy', 'filter'],
  (t, a) => ({ input: a.inputShape!, filter: t.filter!.shape }),
  (s) => s.input,
  () => addon!.conv2dBackpropInput
)
const conv2dBackpropFilter = convKernel(
  ['x', 'dy'],
  (t, a) => ({ input: t.x!.shape, filter: a.filterShape! }),
  (s) => s.filter,
  () => addon!.conv2dBackpropFilter
)

function batchMatMul(args: KernelArgs): tf.TensorInfo | null {
  const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo }
  const { transposeA, transposeB } = args.attrs as unknown as { transposeA: boolean; transposeB: boolean }
  if (!floats(a, b) || a.shape.length < 2 || b.shape.length < 2) return null
  const [ra, rb] = [a.shape.length, b.shape.length]
  const m = transposeA ? a.shape[ra - 1]! : a.shape[ra - 2]!
  const k = transposeA ? a.shape[ra - 2]! : a.shape[ra - 1]!
  const n = transposeB ? b.shape[rb - 2]! : b.shape[rb - 1]!
  const batchA = tf.util.sizeFromShape(a.shape.slice(0, -2))
  const batchB = tf.util.sizeFromShape(b.shape.slice(0, -2))
  // Equal batches, or one batch of 1 broadcast against the other; anything else goes to wasm.
  if (batchA !== batchB && batchA !== 1 && batchB !== 1) return null
  const batchShape = tf.broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2))
  if (tf.util.sizeFromShape(batchShape) !== Math.max(batchA, batchB)) return null
  const dims = Int32Array.from([batchA, batchB, m, k, n, transposeA ? 1 : 0, transposeB ? 1 : 0])
  const backend = backendOf(args)
  return withOutput(backend, [...batchShape, m, n], (heap, c) =>
    addon!.batchMatMul(heap, offsetOf(backend, a), offsetOf(backend, b), c, dims)
  )
}

type PoolAttrs = { filterSize: Pair; strides: Pair; pad: Pad; dimRoundingMode?: 'floor' | 'round' | 'ceil' }
const poolInfo = (xShape: number[], a: PoolAttrs) =>
  tf.backend_util.computePool2DInfo(
    xShape as [number, number, number, number],
    a.filterSize,
    a.strides,
    1,
    a.pad as 'valid' | 'same' | number,
    a.dimRoundingMode
  )

function pool(isMax: boolean) {
  return (args: KernelArgs): tf.TensorInfo | null => {
    const { x } = args.inputs as { x: tf.TensorInfo }
    if (!floats(x)) return null
    const info = poolInfo(x.shape, args.attrs as unknown as PoolAttrs)
    const dims = poolDims(info, isMax)
    if (!dims) return null
    const backend = backendOf(args)
    return withOutput(backend, info.outShape, (heap, y) => addon!.pool2d(heap, offsetOf(backend, x), y, dims))
  }
}

function poolGrad(isMax: boolean) {
  return (args: KernelArgs): tf.TensorInfo | null => {
    const { dy, input } = args.inputs as { dy: tf.TensorInfo; input: tf.TensorInfo }
    if (!floats(dy, input)) return null
    const info = poolInfo(input.shape, args.attrs as unknown as PoolAttrs)
    const p = info.padInfo
    // TF.js's average-pool gradient divides by the whole window even where it overlaps padding (its
    // forward pass does not); padded windows stay on wasm so every backend trains alike.
    if (!isMax && p.top + p.bottom + p.left + p.right > 0) return null
    const dims = poolDims(info, isMax)
    if (!dims) return null
    const backend = backendOf(args)
    return withOutput(backend, input.shape, (heap, dx) =>
      addon!.pool2dGrad(heap, offsetOf(backend, dy), offsetOf(backend, input), dx, dims)
    )
  }
}

/** [rows, channels, epsilon's float32 bits]: the addon reads every parameter as an int32. */
function normDims(x: tf.TensorInfo, epsilon: number): Int32Array {
  const channels = x.shape.at(-1)!
  return Int32Array.from([tf.util.sizeFromShape(x.shape) / channels, channels, new Int32Array(Float32Array.of(epsilon).buffer)[0]!])
}

/** Inputs x, gamma, beta; outputs y and the batch mean and variance per channel. */
/** What both batch-norm kernels start with: three outputs shaped like x and like its channels, and heap offsets. */
function batchNormOutputs(args: KernelArgs, x: tf.TensorInfo) {
  const { epsilon } = args.attrs as unknown as { epsilon: number }
  const backend = backendOf(args)
  const channels = [x.shape.at(-1)!]
  const outs = [backend.makeOutput(x.shape, 'float32'), backend.makeOutput(channels, 'float32'), backend.makeOutput(channels, 'float32')]
  return {
    outs,
    dims: normDims(x, epsilon),
    heap: backend.wasm.HEAPU8.buffer as ArrayBuffer,
    at: (t: tf.TensorInfo) => offsetOf(backend, t)
  }
}

function batchNormTraining(args: KernelArgs): tf.TensorInfo[] {
  const { x, gamma, beta } = args.inputs as { x: tf.TensorInfo; gamma: tf.TensorInfo; beta: tf.TensorInfo }
  const { outs, dims, heap, at } = batchNormOutputs(args, x)
  addon!.batchNormTraining(heap, at(x), at(gamma), at(beta), at(outs[0]!), at(outs[1]!), at(outs[2]!), dims)
  return outs
}

/** Inputs x, dy, gamma, beta, mean, variance; outputs dx, dGamma, dBeta. */
function batchNormTrainingGrad(args: KernelArgs): tf.TensorInfo[] {
  const { x, dy, gamma, beta, mean, variance } = args.inputs as Record<'x' | 'dy' | 'gamma' | 'beta' | 'mean' | 'variance', tf.TensorInfo>
  const { outs, dims, heap, at } = batchNormOutputs(args, x)
  addon!.batchNormTrainingGrad(
    heap,
    at(x),
    at(dy),
    at(gamma),
    at(beta),
    at(mean),
    at(variance),
    at(outs[0]!),
    at(outs[1]!),
    at(outs[2]!),
    dims
  )
  return outs
}

/** Inputs dy and x (ReLU's input); output dx = dy where x > 0, else 0. */
function reluGrad(args: KernelArgs): tf.TensorInfo {
  const { dy, x } = args.inputs as { dy: tf.TensorInfo; x: tf.TensorInfo }
  const backend = backendOf(args)
  return withOutput(backend, x.shape, (heap, dx) =>
    addon!.reluGrad(heap, offsetOf(backend, dy), offsetOf(backend, x), dx, Int32Array.of(tf.util.sizeFromShape(x.shape)))
  )
}

/** Kernels of our own (no TF.js kernel has these inputs and outputs), called by model/batch-norm.ts. */
export const BATCH_NORM_KERNEL = 'UaBatchNormTraining'
export const BATCH_NORM_GRAD_KERNEL = 'UaBatchNormTrainingGrad'
const RELU_GRAD_KERNEL = 'UaReluGrad'

const KERNELS: Record<string, (args: KernelArgs) => tf.TensorInfo | null> = {
  Conv2D: conv2d,
  Conv2DBackpropInput: conv2dBackpropInput,
  Conv2DBackpropFilter: conv2dBackpropFilter,
  BatchMatMul: batchMatMul,
  MaxPool: pool(true),
  MaxPoolGrad: poolGrad(true),
  AvgPool: pool(false),
  AvgPoolGrad: poolGrad(false)
}

/** The TF.js kernels the native backend runs on oneDNN. */
export const NATIVE_KERNEL_NAMES = Object.keys(KERNELS)

/** Puts the oneDNN kernels in front of the wasm ones (once; after the wasm replacement kernels). */
export function installNativeKernels(oneDnn: OneDnnAddon): void {
  if (addon) return
  addon = oneDnn
  for (const [name, fast] of Object.entries(KERNELS)) overrideWasmKernel(name, (args) => (enabled ? fast(args) : null))
  tf.registerKernel({ kernelName: BATCH_NORM_KERNEL, backendName: 'wasm', kernelFunc: batchNormTraining as tf.KernelFunc })
  tf.registerKernel({ kernelName: BATCH_NORM_GRAD_KERNEL, backendName: 'wasm', kernelFunc: batchNormTrainingGrad as tf.KernelFunc })
  tf.registerKernel({ kernelName: RELU_GRAD_KERNEL, backendName: 'wasm', kernelFunc: reluGrad as tf.KernelFunc })
  // ReLU's gradient is dy·step(x): three ops over the activation (Step, Cast, Multiply), one oneDNN pass on
  // native. Gradients are registered for every backend, so the others keep TF.js's own formula. The
  // forward stays on wasm: oneDNN's ReLU turns NaN into 0, and a NaN must reach the loss to be caught.
  tf.registerGradient({
    kernelName: 'Relu',
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => {
      const [x] = saved as [tf.Tensor]
      const g = dy as tf.Tensor
      return {
        x: () =>
          nativeKernelsActive() && floats(x, g)
            ? (tf.engine().runKernel(RELU_GRAD_KERNEL, { dy: g, x }) as tf.Tensor)
            : tf.mul(g, tf.cast(tf.step(x), 'float32'))
      }
    }
  })
}

/** Turns the installed oneDNN kernels on (the native backend) or off (plain wasm). */
export function setNativeKernels(on: boolean): void {
  enabled = on && addon !== null
}

/** True while ops run on the native backend: the kernels are on and TF.js's active backend is wasm. */
export function nativeKernelsActive(): boolean {
  return enabled && tf.getBackend() === 'wasm'
}
