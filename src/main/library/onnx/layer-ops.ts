import type { OpNode } from './op-context'
import { floatsOf } from './onnx-tensors'
import { type ActValue, perFeatureConstant, shapeText, sizeOf } from './onnx-values'
import { autoPads, onnxOutputSize, planWindow, type WindowAxis } from './window-padding'
import { convKernel, denseKernel, inEngineOrder } from './weight-layout'

/**
 * ONNX operators that become engine layers with weights or windows: Conv (depthwise too), BatchNormalization,
 * MaxPool, AveragePool, GlobalAveragePool, Gemm and MatMul.
 */

function featureMap(node: OpNode): ActValue & { dims: [number, number, number] } {
  const x = node.act(0)
  if (x.layout !== 'nhwc')
    throw node.refuse(`${node.op} on a tensor of shape ${shapeText(x.dims)} is not supported; it needs a C×H×W feature map`)
  return x as ActValue & { dims: [number, number, number] }
}

/** The window of a conv or pool over height and width: kernel, strides and pads, with auto_pad resolved. */
function windowAxes(node: OpNode, [, h, w]: [number, number, number], kernel: [number, number]): [WindowAxis, WindowAxis] {
  const dilations = node.attrs.ints('dilations', [1, 1])!
  if (dilations.some((d) => d !== 1)) throw node.refuse(`${node.op} with dilations [${dilations.join(', ')}] is not supported`)
  const strides = node.attrs.ints('strides', [1, 1])!
  if (strides.length !== 2) throw node.refuse(`${node.op} with ${strides.length} strides is not supported; only 2-D windows are`)
  const mode = node.attrs.string('auto_pad', 'NOTSET')
  const sizes = [h, w]
  let pads: number[]
  if (mode === 'NOTSET') pads = node.attrs.ints('pads', [0, 0, 0, 0])!
  else {
    const perAxis = sizes.map((s, k) => autoPads(mode, s, kernel[k]!, strides[k]!))
    if (perAxis.some((p) => p === null)) throw node.refuse(`${node.op} with auto_pad ${mode} is not supported`)
    pads = [perAxis[0]![0], perAxis[1]![0], perAxis[0]![1], perAxis[1]![1]]
  }
  if (pads.length !== 4) throw node.refuse(`${node.op} with pads [${pads.join(', ')}] is not supported; 2-D windows have 4 pads`)
  const axes = [0, 1].map((k) => ({ size: sizes[k]!, kernel: kernel[k]!, stride: strides[k]!, padBegin: pads[k]!, padEnd: pads[k + 2]! }))
  for (const a of axes) {
    if (a.kernel < 1 || a.stride < 1 || a.padBegin < 0 || a.padEnd < 0 || onnxOutputSize(a) < 1)
      throw node.refuse(
        `${node.op} with kernel ${kernel.join('×')}, strides ${strides.join('×')} and pads [${pads.join(', ')}] on a ${h}×${w} input has no output`
      )
  }
  return axes as [WindowAxis, WindowAxis]
}

function describeWindow(axes: [WindowAxis, WindowAxis]): string {
  const [h, w] = axes
  return `pads [${h.padBegin}, ${w.padBegin}, ${h.padEnd}, ${w.padEnd}] (kernel ${h.kernel}×${w.kernel}, strides ${h.stride}×${w.stride}, on a ${h.size}×${w.size} input)`
}

export function mapConv(node: OpNode): void {
  const x = featureMap(node)
  const [channels] = x.dims
  const group = node.attrs.int('group', 1)
  const depthwise = group > 1 && group === channels
  if (group !== 1 && !depthwise)
    throw node.refuse(`Conv with group ${group} (grouped, on ${channels} channels) is not supported; only 1 or depthwise`)
  const w = node.constant(1, 'weight')
  if (w.dims.length !== 4) throw node.refuse(`Conv with a weight of shape ${shapeText(w.dims)} is not supported; only 2-D convolutions are`)
  const [filters, inC, kh, kw] = w.dims as [number, number, number, number]
  if (inC * group !== channels) throw node.refuse(`the weight expects ${inC * group} input channels, but the input has ${channels}`)
  if (depthwise && filters !== channels)
    throw node.refuse(`depthwise Conv with ${filters / channels} filters per channel is not supported; only a depth multiplier of 1 is`)
  const declared = node.attrs.ints('kernel_shape', null)
  if (declared && (declared[0] !== kh || declared[1] !== kw))
    throw node.refuse(`kernel_shape [${declared.join(', ')}] does not match the weight's ${kh}×${kw}`)
  const axes = windowAxes(node, x.dims, [kh, kw])
  const plan = planWindow(axes, true)
  if (!plan) throw node.refuse(`Conv with ${describeWindow(axes)} has no exact equivalent in the engine's 'same' or 'valid' padding`)
  // A depthwise weight [C, 1, kh, kw] has the memory layout of a [1, C, kh, kw] one: its kernel comes out [kh, kw, C, 1].
  const kernel = convKernel(floatsOf(w), depthwise ? [1, channels, kh, kw] : [filters, inC, kh, kw], plan.widenBefore, plan.widenAfter)
  if (kernel.shape[0] !== kh || kernel.shape[1] !== kw)
    node.ctx.builder.notes.push(
      `${node.label}: its ${kh}×${kw} kernel became ${kernel.shape[0]}×${kernel.shape[1]} with zero taps, so that the engine's 'same' padding reads the pixels the ONNX padding does (identical outputs; fine-tuning may make the new taps non-zero)`
    )
  const weights: Record<string, { shape: number[]; values: Float32Array }> = depthwise ? { depthwise_kernel: kernel } : { kernel }
  if (node.has(2)) {
    const b = node.constant(2, 'bias')
    if (sizeOf(b.dims) !== filters) throw node.refuse(`the bias has ${sizeOf(b.dims)} values for ${filters} filters`)
    weights.bias = { shape: [filters], values: floatsOf(b) }
  }
  const window = {
    input: x.node,
    kernelSize: [kernel.shape[0], kernel.shape[1]] as [number, number],
    strides: [axes[0].stride, axes[1].stride] as [number, number],
    padding: plan.padding,
    useBias: node.has(2),
    activation: 'linear' as const
  }
  const name = node.ctx.builder.add(
    node.baseName,
    depthwise ? { kind: 'depthwise', ...window } : { kind: 'conv2d', filters, ...window },
    weights
  )
  node.produce({ node: name, dims: [filters, onnxOutputSize(axes[0]), onnxOutputSize(axes[1])], layout: 'nhwc', order: null })
}

export function mapBatchNorm(node: OpNode): void {
  node.onlyFirstOutputRead()
  if (node.attrs.int('training_mode', 0) !== 0)
    throw node.refuse('BatchNormalization in training mode is not supported; export the model in eval mode')
  const x = node.act(0)
  const channels = x.dims[0]!
  const perChannel = (i: number, what: string) => {
    const t = node.constant(i, what)
    if (sizeOf(t.dims) !== channels) throw node.refuse(`the ${what} has ${sizeOf(t.dims)} values for ${channels} channels`)
    // A vector normalised per feature follows the engine's feature order.
    const values = x.layout === 'flat' && x.dims.length === 1 ? inEngineOrder(floatsOf(t), x.order) : floatsOf(t)
    return { shape: [channels], values }
  }
  if (x.layout === 'flat' && sizeOf(x.dims) !== channels)
    throw node.refuse(`BatchNormalization of a tensor of shape ${shapeText(x.dims)} is not supported`)
  const weights = {
    gamma: perChannel(1, 'scale'),
    beta: perChannel(2, 'bias'),
    moving_mean: perChannel(3, 'mean'),
    moving_variance: perChannel(4, 'variance')
  }
  const name = node.ctx.builder.add(
    node.baseName,
    { kind: 'batchnorm', input: x.node, epsilon: node.attrs.float('epsilon', 1e-5), momentum: node.attrs.float('momentum', 0.9) },
    weights
  )
  node.produce({ ...x, node: name })
}

export function mapPool(node: OpNode): void {
  node.onlyFirstOutputRead()
  const x = featureMap(node)
  const kernel = node.attrs.ints('kernel_shape', null)
  if (!kernel || kernel.length !== 2) throw node.refuse(`${node.op} needs a 2-D kernel_shape`)
  const axes = windowAxes(node, x.dims, kernel as [number, number])
  const plan = planWindow(axes, false)
  if (!plan) throw node.refuse(`${node.op} with ${describeWindow(axes)} has no exact equivalent in the engine's 'same' or 'valid' padding`)
  if (node.attrs.int('ceil_mode', 0) && axes.some((a) => onnxOutputSize(a, true) !== onnxOutputSize(a)))
    throw node.refuse(`${node.op} with ceil_mode 1 gives a larger output than the engine's pools; it is not supported`)
  const isMax = node.op === 'MaxPool'
  // TF's 'same' average leaves the padding out of the count, as ONNX's count_include_pad 0 does.
  if (!isMax && plan.padding === 'same' && node.attrs.int('count_include_pad', 0))
    throw node.refuse('AveragePool with count_include_pad 1 over padding is not supported')
  const name = node.ctx.builder.add(node.baseName, {
    kind: isMax ? 'maxpool' : 'avgpool',
    input: x.node,
    poolSize: kernel as [number, number],
    strides: [axes[0].stride, axes[1].stride],
    padding: plan.padding
  })
  node.produce({ node: name, dims: [x.dims[0], onnxOutputSize(axes[0]), onnxOutputSize(axes[1])], layout: 'nhwc', order: null })
}

export function mapGlobalAveragePool(node: OpNode): void {
  const x = featureMap(node)
  const name = node.ctx.builder.add(node.baseName, { kind: 'gap', input: x.node })
  // ONNX keeps [C, 1, 1]; the engine holds the C averages as a vector, in the same order.
  node.produce({ node: name, dims: [x.dims[0], 1, 1], layout: 'flat', order: null })
}

/** A batch of vectors: what Gemm and MatMul multiply. */
function vectors(node: OpNode): ActValue {
  const x = node.act(0)
  if (x.layout !== 'flat' || x.dims.length !== 1)
    throw node.refuse(`${node.op} of a tensor of shape ${shapeText(x.dims)} is not supported; flatten it to [N, features] first`)
  return x
}

function addDense(node: OpNode, x: ActValue, kernel: { values: Float32Array; shape: [number, number] }, bias: Float32Array | null): void {
  const units = kernel.shape[1]
  const weights: Record<string, { shape: number[]; values: Float32Array }> = { kernel }
  if (bias) weights.bias = { shape: [units], values: bias }
  const name = node.ctx.builder.add(
    node.baseName,
    { kind: 'dense', input: x.node, units, useBias: bias !== null, activation: 'linear' },
    weights
  )
  node.produce({ node: name, dims: [units], layout: 'flat', order: null })
}

export function mapGemm(node: OpNode): void {
  const x = vectors(node)
  if (node.attrs.int('transA', 0)) throw node.refuse('Gemm with transA 1 (the input transposed) is not supported')
  const b = node.constant(1, 'weight')
  if (b.dims.length !== 2) throw node.refuse(`the weight has shape ${shapeText(b.dims)}; Gemm needs a matrix`)
  const transposed = node.attrs.int('transB', 0) === 1
  const inputs = transposed ? b.dims[1]! : b.dims[0]!
  if (inputs !== x.dims[0]) throw node.refuse(`the weight takes ${inputs} features, but the input has ${x.dims[0]}`)
  const kernel = denseKernel(floatsOf(b), b.dims as [number, number], {
    transposed,
    scale: node.attrs.float('alpha', 1),
    inputOrder: x.order
  })
  let bias: Float32Array | null = null
  if (node.has(2)) {
    const units = kernel.shape[1]
    const c = node.constant(2, 'bias')
    const values = perFeatureConstant(c, { kind: 'act', node: '', dims: [units], layout: 'flat', order: null })
    if (!values) throw node.refuse(`the bias of shape ${shapeText(c.dims)} does not broadcast to ${units} outputs`)
    const beta = node.attrs.float('beta', 1)
    bias = beta === 1 ? values : values.map((v) => beta * v)
  }
  addDense(node, x, kernel, bias)
}

export function mapMatMul(node: OpNode): void {
  if (node.isConstant(0)) throw node.refuse('MatMul of a constant by the input is not supported; the weight must be the second operand')
  const x = vectors(node)
  const b = node.constant(1, 'weight')
  if (b.dims.length !== 2 || b.dims[0] !== x.dims[0])
    throw node.refuse(`MatMul of ${x.dims[0]} features by a weight of shape ${shapeText(b.dims)} is not supported`)
  addDense(node, x, denseKernel(floatsOf(b), b.dims as [number, number], { transposed: false, scale: 1, inputOrder: x.order }), null)
}
