import type { GraphNode, ModelGraph } from './graph'

function poolOut(size: number, pool: number, stride: number, padding: 'same' | 'valid'): number {
  return padding === 'same' ? Math.ceil(size / stride) : Math.floor((size - pool) / stride) + 1
}

/** Output shape (without the batch axis) of every node, checked as it goes. */
export function inferShapes(graph: ModelGraph): Map<string, number[]> {
  const shapes = new Map<string, number[]>()
  const of = (name: string): number[] => {
    const s = shapes.get(name)
    if (!s) throw new Error(`Unknown layer "${name}"`)
    return s
  }
  for (const node of graph.nodes) shapes.set(node.name, outputShape(node, of))
  return shapes
}

function outputShape(node: GraphNode, of: (name: string) => number[]): number[] {
  switch (node.kind) {
    case 'input':
      return node.shape
    case 'conv2d': {
      const [h, w] = expectRank(node, of(node.input), 3)
      return [
        poolOut(h, node.kernelSize[0], node.strides[0], node.padding),
        poolOut(w, node.kernelSize[1], node.strides[1], node.padding),
        node.filters
      ]
    }
    case 'depthwise': {
      const [h, w, c] = expectRank(node, of(node.input), 3)
      return [
        poolOut(h, node.kernelSize[0], node.strides[0], node.padding),
        poolOut(w, node.kernelSize[1], node.strides[1], node.padding),
        c
      ]
    }
    case 'zeropad': {
      const [h, w, c] = expectRank(node, of(node.input), 3)
      const [[top, bottom], [left, right]] = node.padding
      return [h + top + bottom, w + left + right, c]
    }
    case 'maxpool':
    case 'avgpool': {
      const [h, w, c] = expectRank(node, of(node.input), 3)
      return [poolOut(h, node.poolSize[0], node.strides[0], node.padding), poolOut(w, node.poolSize[1], node.strides[1], node.padding), c]
    }
    case 'dense': {
      const s = of(node.input)
      return [...s.slice(0, -1), node.units]
    }
    case 'gap': {
      const [, , c] = expectRank(node, of(node.input), 3)
      return [c]
    }
    case 'flatten':
      return [of(node.input).reduce((a, b) => a * b, 1)]
    case 'add':
    case 'multiply': {
      const shapes = node.inputs.map(of)
      const first = shapes[0]!
      for (const s of shapes) {
        if (s.join('x') !== first.join('x')) {
          const verb = node.kind === 'add' ? 'adds' : 'multiplies'
          throw new Error(`Layer "${node.name}" ${verb} tensors of different shapes (${shapes.map((x) => x.join('x')).join(' vs ')})`)
        }
      }
      return first
    }
    case 'concat': {
      const shapes = node.inputs.map(of)
      const lead = (s: number[]) => s.slice(0, -1).join('x')
      if (shapes.some((s) => lead(s) !== lead(shapes[0]!)))
        throw new Error(
          `Layer "${node.name}" concatenates tensors whose shapes differ before the channels (${shapes.map((x) => x.join('x')).join(' vs ')})`
        )
      return [...shapes[0]!.slice(0, -1), shapes.reduce((n, s) => n + s.at(-1)!, 0)]
    }
    default:
      return of(node.input)
  }
}

function expectRank(node: GraphNode, shape: number[], rank: number): [number, number, number] {
  if (shape.length !== rank) {
    throw new Error(`Layer "${node.name}" (${node.kind}) needs a rank-${rank} input, got shape [${shape.join(', ')}]`)
  }
  return shape as [number, number, number]
}

/** Shapes of every weight of the graph, by weight name. */
export function weightShapes(graph: ModelGraph): Map<string, number[]> {
  const shapes = inferShapes(graph)
  const out = new Map<string, number[]>()
  for (const node of graph.nodes) {
    if (node.kind === 'conv2d') {
      const cin = shapes.get(node.input)!.at(-1)!
      out.set(`${node.name}/kernel`, [...node.kernelSize, cin, node.filters])
      if (node.useBias) out.set(`${node.name}/bias`, [node.filters])
    } else if (node.kind === 'depthwise') {
      const c = shapes.get(node.input)!.at(-1)!
      out.set(`${node.name}/depthwise_kernel`, [...node.kernelSize, c, 1])
      if (node.useBias) out.set(`${node.name}/bias`, [c])
    } else if (node.kind === 'dense') {
      const fin = shapes.get(node.input)!.at(-1)!
      out.set(`${node.name}/kernel`, [fin, node.units])
      if (node.useBias) out.set(`${node.name}/bias`, [node.units])
    } else if (node.kind === 'batchnorm') {
      const c = shapes.get(node.input)!.at(-1)!
      for (const w of ['gamma', 'beta', 'moving_mean', 'moving_variance']) out.set(`${node.name}/${w}`, [c])
    }
  }
  return out
}
