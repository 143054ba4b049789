import { ImportError } from '../model-bundle'
import type { EngineGraphBuilder } from './engine-graph-builder'
import { NodeAttributes } from './onnx-attributes'
import type { ConstTensor } from './onnx-tensors'
import type { ActValue, Value } from './onnx-values'
import type { LabelledNode, OnnxGraph } from './read-onnx-graph'

/** What every op mapper reads and writes: the ONNX graph, the values so far, the engine graph being built. */
export interface MappingContext {
  graph: OnnxGraph
  builder: EngineGraphBuilder
  values: Map<string, Value>
  /** The batch size the model's input fixes, or null when it is free (a named dimension). */
  fixedBatch: number | null
  /** Set when the graph's output is a Softmax: the engine keeps logits and records the softmax. */
  outputSoftmax: boolean
}

/** One node being mapped: its inputs and attributes, and a way to refuse it with its name. */
export class OpNode {
  readonly attrs: NodeAttributes

  constructor(
    readonly ctx: MappingContext,
    readonly n: LabelledNode
  ) {
    this.attrs = new NodeAttributes(n.node, n.label)
  }

  get label(): string {
    return this.n.label
  }

  get op(): string {
    return this.n.opType
  }

  /** What the engine layer made from this node is named after. */
  get baseName(): string {
    return this.n.node.name || this.op.toLowerCase()
  }

  refuse(reason: string): ImportError {
    return new ImportError(`${this.label}: ${reason}`)
  }

  private inputName(i: number): string {
    return this.n.node.input?.[i] ?? ''
  }

  has(i: number): boolean {
    return this.inputName(i) !== ''
  }

  private value(i: number): Value {
    const v = this.ctx.values.get(this.inputName(i))
    if (!v) throw this.refuse(`input ${i + 1} ("${this.inputName(i)}") is missing`)
    return v
  }

  /** Input i, which must depend on the model's input. */
  act(i: number): ActValue {
    const v = this.value(i)
    if (v.kind !== 'act') throw this.refuse(`${this.op} with a constant as input ${i + 1} ("${this.inputName(i)}") is not supported`)
    return v
  }

  /** Input i, which must be a constant (an initializer or a Constant node). */
  constant(i: number, what: string): ConstTensor {
    const v = this.value(i)
    if (v.kind === 'act')
      throw this.refuse(`the ${what} ("${this.inputName(i)}") must be a constant (an initializer), not computed from the input`)
    return v
  }

  isConstant(i: number): boolean {
    return this.value(i).kind !== 'act'
  }

  /** The node's output i now holds `value`, produced by a new engine layer. */
  produce(value: Omit<ActValue, 'kind'>, i = 0): void {
    const name = this.n.node.output?.[i] ?? ''
    this.ctx.values.set(name, { kind: 'act', ...value })
    this.ctx.builder.addReaders(value.node, this.ctx.graph.uses.get(name) ?? 0)
  }

  /** The node's output is its input under another ONNX shape or name: no engine layer. */
  passOn(from: ActValue, changes: Partial<Omit<ActValue, 'kind' | 'node'>> = {}): void {
    this.ctx.builder.passedOn(from.node)
    this.produce({ ...from, ...changes })
  }

  /** Refuses the node when an output past the first (a mask, pool indices, batch statistics) is read. */
  onlyFirstOutputRead(): void {
    const extra = (this.n.node.output ?? []).slice(1).find((o) => o && (this.ctx.graph.uses.get(o) ?? 0) > 0)
    if (extra) throw this.refuse(`its output "${extra}" is read, but only ${this.op}'s first output can be imported`)
  }
}
