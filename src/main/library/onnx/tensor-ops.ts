import type { OpNode } from './op-context'
import { floatsOf, intsOf } from './onnx-tensors'
import { shapeText, sizeOf } from './onnx-values'
import { flattenOrder } from './weight-layout'

/**
 * ONNX operators that become engine layers without weights, or no layer at all: activations
 * (LeakyRelu, and Clip as ReLU or ReLU6), Softmax, Flatten and flatten-like Reshape, Identity,
 * Dropout, and Pad of zeros around height and width.
 */

const ACTIVATIONS = { Relu: 'relu', Sigmoid: 'sigmoid', Tanh: 'tanh' } as const

export function mapActivation(node: OpNode): void {
  const x = node.act(0)
  const fn = ACTIVATIONS[node.op as keyof typeof ACTIVATIONS]
  const name = node.ctx.builder.add(node.baseName, { kind: 'activation', input: x.node, fn })
  node.produce({ ...x, node: name })
}

export function mapLeakyRelu(node: OpNode): void {
  const x = node.act(0)
  const name = node.ctx.builder.add(node.baseName, { kind: 'leakyrelu', input: x.node, alpha: node.attrs.float('alpha', 0.01) })
  node.produce({ ...x, node: name })
}

/** Clip(0, 6) is ReLU6 (PyTorch's nn.ReLU6) and Clip(0) a ReLU; other bounds have no engine layer. */
export function mapClip(node: OpNode): void {
  const x = node.act(0)
  const bound = (i: number, what: string) => (node.has(i) ? floatsOf(node.constant(i, what)) : null)
  const [min, max] = [bound(1, 'min'), bound(2, 'max')]
  if ((min && min.length !== 1) || (max && max.length !== 1)) throw node.refuse('Clip with bounds that are not scalars is not supported')
  const [lo, hi] = [min?.[0] ?? null, max?.[0] ?? null]
  const fn = lo === 0 && hi === 6 ? 'relu6' : lo === 0 && hi === null ? 'relu' : null
  if (!fn) throw node.refuse(`Clip to [${lo ?? '-inf'}, ${hi ?? 'inf'}] is not supported; only [0, 6] (ReLU6) and [0, inf] (ReLU) are`)
  const name = node.ctx.builder.add(node.baseName, { kind: 'activation', input: x.node, fn })
  node.produce({ ...x, node: name })
}

/** ONNX's axis attribute as a non-negative axis of the full tensor (batch first). */
function axisOf(node: OpNode, rank: number, fallback: number): number {
  const axis = node.attrs.int('axis', fallback)
  return axis < 0 ? axis + rank : axis
}

export function mapSoftmax(node: OpNode): void {
  const x = node.act(0)
  // Axis 1 is the classes of a vector and the channels of a feature map: the engine's last axis either way.
  if (axisOf(node, x.dims.length + 1, -1) !== 1)
    throw node.refuse(`Softmax over axis ${node.attrs.int('axis', -1)} of a tensor of shape ${shapeText(x.dims)} is not supported`)
  if (node.n.node.output?.[0] === node.ctx.graph.output) {
    // The engine works on logits: a final softmax is recorded, and put back when the model is saved.
    node.ctx.outputSoftmax = true
    node.passOn(x)
    return
  }
  const name = node.ctx.builder.add(node.baseName, { kind: 'activation', input: x.node, fn: 'softmax' })
  node.produce({ ...x, node: name })
}

/** Flattens to [N, features]: a feature map gets an engine flatten layer; a vector stays as it is. */
function flatten(node: OpNode): void {
  const x = node.act(0)
  if (x.layout === 'flat') {
    node.passOn(x, { dims: [sizeOf(x.dims)] })
    return
  }
  const [c, h, w] = x.dims as [number, number, number]
  const name = node.ctx.builder.add(node.baseName, { kind: 'flatten', input: x.node })
  node.produce({ node: name, dims: [c * h * w], layout: 'flat', order: flattenOrder(c, h, w) })
}

export function mapFlatten(node: OpNode): void {
  const x = node.act(0)
  const axis = axisOf(node, x.dims.length + 1, 1)
  if (axis !== 1) throw node.refuse(`Flatten with axis ${node.attrs.int('axis', 1)} is not supported; only axis 1 (keep the batch) is`)
  flatten(node)
}

/** Only Reshapes that flatten each sample: to [N, -1] or [-1, features] (0 copying the batch). */
export function mapReshape(node: OpNode): void {
  const x = node.act(0)
  const target = intsOf(node.constant(1, 'shape'), `${node.label}: the shape`)
  const features = sizeOf(x.dims)
  const copiesBatch = (v: number) =>
    (v === 0 && node.attrs.int('allowzero', 0) === 0) || (node.ctx.fixedBatch !== null && v === node.ctx.fixedBatch)
  const flattens =
    target.length === 2 &&
    ((target[1] === -1 && copiesBatch(target[0]!)) || (target[1] === features && (target[0] === -1 || copiesBatch(target[0]!))))
  if (!flattens)
    throw node.refuse(
      `Reshape of ${shapeText(x.dims)} to [${target.join(', ')}] is not supported; only flattening to [N, -1] or [-1, ${features}] is`
    )
  flatten(node)
}

export function mapIdentity(node: OpNode): void {
  if (node.isConstant(0)) {
    node.ctx.values.set(node.n.node.output![0]!, node.constant(0, 'input'))
    return
  }
  node.passOn(node.act(0))
}

export function mapDropout(node: OpNode): void {
  node.onlyFirstOutputRead()
  const x = node.act(0)
  if (node.has(2) && floatsOf(node.constant(2, 'training_mode')).some((v) => v !== 0))
    throw node.refuse('Dropout in training mode is not supported; export the model in eval mode')
  const rate = node.has(1) ? floatsOf(node.constant(1, 'ratio'))[0]! : 0.5
  if (!(rate >= 0 && rate < 1)) throw node.refuse(`Dropout ratio ${rate} is not a probability below 1`)
  const name = node.ctx.builder.add(node.baseName, { kind: 'dropout', input: x.node, rate })
  node.produce({ ...x, node: name })
}

/**
 * Zeros around height and width (ZeroPadding2D), as nn.ZeroPad2d or F.pad write them (often before a
 * 'valid' conv, for padding the conv's own pads do not express). A Pad of nothing passes on.
 */
export function mapPad(node: OpNode): void {
  if (!node.has(1)) throw node.refuse('Pad without pads is not supported')
  const pads = intsOf(node.constant(1, 'pads'), `${node.label}: the pads`)
  const x = node.act(0)
  if (pads.every((p) => p === 0)) return node.passOn(x)
  const mode = node.attrs.string('mode', 'constant')
  if (mode !== 'constant') throw node.refuse(`Pad in ${mode} mode is not supported; only zeros (constant mode) are`)
  if (node.has(2) && floatsOf(node.constant(2, 'constant_value')).some((v) => v !== 0))
    throw node.refuse('Pad with a value other than zero is not supported')
  if (node.has(3)) throw node.refuse('Pad with axes is not supported; give pads for every axis')
  if (x.layout !== 'nhwc' || pads.length !== 8)
    throw node.refuse(
      `Pad (pads [${pads.join(', ')}]) of a tensor of shape ${shapeText(x.dims)} is not supported; only a C×H×W feature map can be padded`
    )
  const [n0, c0, top, left, n1, c1, bottom, right] = pads as [number, number, number, number, number, number, number, number]
  if (n0 || n1 || c0 || c1 || pads.some((p) => p < 0))
    throw node.refuse(`Pad (pads [${pads.join(', ')}]) is not supported; only padding height and width by whole pixels is`)
  const name = node.ctx.builder.add(node.baseName, {
    kind: 'zeropad',
    input: x.node,
    padding: [
      [top, bottom],
      [left, right]
    ]
  })
  const [c, h, w] = x.dims as [number, number, number]
  node.produce({ node: name, dims: [c, h + top + bottom, w + left + right], layout: 'nhwc', order: null })
}
