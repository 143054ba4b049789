import type { OpNode } from './op-context'
import { floatsOf, intsOf } from './onnx-tensors'
import { perFeatureConstant, sameOrder, shapeText, sizeOf } from './onnx-values'
import { flattenOrder } from './weight-layout'

/**
 * ONNX operators that become engine layers without weights, or no layer at all: activations,
 * Softmax, Add, Flatten and flatten-like Reshape, Identity, Dropout, and a Pad that pads nothing.
 */

const ACTIVATIONS = { Relu: 'relu', Sigmoid: 'sigmoid', Tanh: 'tanh' } as const

export function mapActivation(node: OpNode): void {
  const x = node.act(0)
  const fn = ACTIVATIONS[node.op as keyof typeof ACTIVATIONS]
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

export function mapAdd(node: OpNode): void {
  const [aConst, bConst] = [node.isConstant(0), node.isConstant(1)]
  if (aConst && bConst) throw node.refuse('Add of two constants is not supported')
  if (!aConst && !bConst) {
    const [a, b] = [node.act(0), node.act(1)]
    if (a.dims.join('x') !== b.dims.join('x') || a.layout !== b.layout || !sameOrder(a.order, b.order))
      throw node.refuse(`Add of tensors of shapes ${shapeText(a.dims)} and ${shapeText(b.dims)} is not supported; only equal shapes are`)
    const name = node.ctx.builder.add(node.baseName, { kind: 'add', inputs: [a.node, b.node] })
    node.produce({ ...a, node: name })
    return
  }
  const x = node.act(aConst ? 1 : 0)
  const c = node.constant(aConst ? 0 : 1, 'added constant')
  const bias = perFeatureConstant(c, x)
  if (!bias) throw node.refuse(`Add of a constant of shape ${shapeText(c.dims)} to a tensor of shape ${shapeText(x.dims)} is not supported`)
  if (!node.ctx.builder.foldBias(x, bias))
    throw node.refuse(
      'Add of a constant is supported only as the bias of the Conv, Gemm or MatMul right before it (and read by nothing else)'
    )
  node.passOn(x)
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

/** PyTorch writes a Pad of zeros before an average pool; it changes nothing. Any real padding is refused. */
export function mapPad(node: OpNode): void {
  if (!node.has(1)) throw node.refuse('Pad without pads is not supported')
  const pads = intsOf(node.constant(1, 'pads'), `${node.label}: the pads`)
  if (pads.some((p) => p !== 0)) throw node.refuse(`Pad (pads [${pads.join(', ')}]) is not supported yet`)
  node.passOn(node.act(0))
}
