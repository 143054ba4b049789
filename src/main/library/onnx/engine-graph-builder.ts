import type { GraphNode } from '../../engine/model/graph'
import type { ActValue } from './onnx-values'

/** A weight as the engine stores it: its shape and float32 values, in the engine's layout. */
export interface WeightValues {
  shape: number[]
  values: Float32Array
}

type NewNode = GraphNode extends infer N ? (N extends GraphNode ? Omit<N, 'name'> : never) : never

/**
 * The engine graph as it is built from ONNX nodes: layer nodes in order, their weights, unique
 * layer names, and how many ONNX readers each layer's output still has (a bias may only be folded
 * into a layer nobody else reads).
 */
export class EngineGraphBuilder {
  readonly nodes: GraphNode[] = []
  readonly weights = new Map<string, WeightValues>()
  /** What the conversion changed beyond layout, for the import summary. */
  readonly notes: string[] = []
  private readonly names = new Set<string>()
  private readonly readers = new Map<string, number>()

  /** A tfjs-safe layer name from an ONNX name ("/blocks/blocks.0/conv1/Conv" → "blocks_blocks_0_conv1_Conv"), made unique. */
  private uniqueName(base: string): string {
    const clean = base.replace(/[^A-Za-z0-9_]+/g, '_').replace(/^_+|_+$/g, '') || 'layer'
    const start = /^[A-Za-z]/.test(clean) ? clean : `n_${clean}`
    let name = start.slice(0, 80)
    for (let i = 2; this.names.has(name); i++) name = `${start.slice(0, 76)}_${i}`
    this.names.add(name)
    return name
  }

  /** Adds a layer (its weights under the names weightNamesOf gives it); returns its name. */
  add(base: string, node: NewNode, weights: Record<string, WeightValues> = {}): string {
    const name = this.uniqueName(base)
    this.nodes.push({ ...node, name } as GraphNode)
    for (const [leaf, w] of Object.entries(weights)) this.weights.set(`${name}/${leaf}`, w)
    return name
  }

  node(name: string): GraphNode {
    return this.nodes.find((n) => n.name === name)!
  }

  /** An ONNX tensor now stands for the output of `node`, read `uses` times. */
  addReaders(node: string, uses: number): void {
    this.readers.set(node, (this.readers.get(node) ?? 0) + uses)
  }

  /** One read of a layer's output was only passed on (Identity, Flatten of a vector), not a new reader. */
  passedOn(node: string): void {
    this.readers.set(node, (this.readers.get(node) ?? 0) - 1)
  }

  /**
   * Adds `bias` into a conv (or depthwise) or dense layer, when the elementwise Add reading `value` is its only
   * reader (nobody sees the output without the bias). Returns false when it cannot be folded.
   */
  foldBias(value: ActValue, bias: Float32Array): boolean {
    const layer = this.node(value.node)
    if ((layer.kind !== 'conv2d' && layer.kind !== 'dense' && layer.kind !== 'depthwise') || this.readers.get(layer.name) !== 1)
      return false
    const units =
      layer.kind === 'conv2d'
        ? layer.filters
        : layer.kind === 'dense'
          ? layer.units
          : this.weights.get(`${layer.name}/depthwise_kernel`)!.shape[2]!
    if (bias.length !== units) return false
    const key = `${layer.name}/bias`
    const existing = this.weights.get(key)
    const sum = existing ? existing.values.map((v, i) => v + bias[i]!) : Float32Array.from(bias)
    this.weights.set(key, { shape: [units], values: sum })
    layer.useBias = true
    return true
  }
}
