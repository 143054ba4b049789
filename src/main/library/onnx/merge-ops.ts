import type { OpNode } from './op-context'
import { type ActValue, perFeatureConstant, sameOrder, shapeText } from './onnx-values'

/**
 * ONNX operators that join two or more activations: Add (or a constant added as a bias), Mul of
 * equal shapes, and Concat along the channels.
 */

function sameShape(a: ActValue, b: ActValue): boolean {
  return a.dims.join('x') === b.dims.join('x') && a.layout === b.layout && sameOrder(a.order, b.order)
}

export function mapAdd(node: OpNode): void {
  const [aConst, bConst] = [node.isConstant(0), node.isConstant(1)]
  if (aConst && bConst) throw node.refuse('Add of two constants is not supported')
  if (!aConst && !bConst) {
    const [a, b] = [node.act(0), node.act(1)]
    if (!sameShape(a, b))
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

/** The product of two activations of the same shape (a gate). A constant factor is refused: it has no layer of its own. */
export function mapMul(node: OpNode): void {
  if (node.isConstant(0) || node.isConstant(1))
    throw node.refuse(
      'Mul by a constant is not supported; only the product of two tensors computed from the input is (fold the factor into the weights before exporting)'
    )
  const [a, b] = [node.act(0), node.act(1)]
  if (!sameShape(a, b))
    throw node.refuse(`Mul of tensors of shapes ${shapeText(a.dims)} and ${shapeText(b.dims)} is not supported; only equal shapes are`)
  const name = node.ctx.builder.add(node.baseName, { kind: 'multiply', inputs: [a.node, b.node] })
  node.produce({ ...a, node: name })
}

/** Concat along axis 1: the channels of feature maps, or the features of vectors in ONNX's own order. */
export function mapConcat(node: OpNode): void {
  const count = node.n.node.input?.length ?? 0
  const xs = Array.from({ length: count }, (_, i) => node.act(i))
  const first = xs[0]!
  const rank = first.dims.length + 1
  const raw = node.attrs.int('axis', 1)
  const axis = raw < 0 ? raw + rank : raw
  const fits = (x: ActValue) =>
    x.layout === first.layout &&
    x.dims.length === first.dims.length &&
    x.dims.slice(1).join('x') === first.dims.slice(1).join('x') &&
    (x.layout === 'nhwc' || (x.dims.length === 1 && x.order === null))
  if (axis !== 1 || !xs.every(fits))
    throw node.refuse(
      `Concat over axis ${raw} of tensors of shapes ${xs.map((x) => shapeText(x.dims)).join(', ')} is not supported; only joining the channels of equal-sized feature maps (or plain vectors) is`
    )
  const name = node.ctx.builder.add(node.baseName, { kind: 'concat', inputs: xs.map((x) => x.node) })
  const channels = xs.reduce((n, x) => n + x.dims[0]!, 0)
  node.produce({ node: name, dims: [channels, ...first.dims.slice(1)], layout: first.layout, order: null })
}
