import { ImportError } from '../model-bundle'
import { NodeAttributes } from './onnx-attributes'
import { decodeOnnxModel, int64ToNumber, isDefaultDomain, OnnxDataType, type OnnxNode } from './onnx-proto'
import { type ConstTensor, readTensor } from './onnx-tensors'

/** The opsets whose operators the mapping was written against (their semantics differ before 13). */
export const MIN_OPSET = 13
export const MAX_OPSET = 20

/** A node with how errors name it: `node "/conv1/Conv"`, or by position when the exporter left it unnamed. */
export interface LabelledNode {
  node: OnnxNode
  label: string
  opType: string
}

/** A decoded ONNX graph, checked for what the mapping relies on: one input, one output, constants read, nodes sorted. */
export interface OnnxGraph {
  opset: number
  input: { name: string; dims: Array<number | null> }
  output: string
  /** The nodes the output depends on, in an order where every node follows its inputs; Constant nodes are folded away. */
  nodes: LabelledNode[]
  /** Initializers and Constant nodes' values, by tensor name. */
  constants: Map<string, ConstTensor>
  /** How many node inputs read each tensor, plus one for the graph output. */
  uses: Map<string, number>
}

function opsetOf(imports: Array<{ domain?: string | null; version?: unknown }>, fileName: string): number {
  const main = imports.find((o) => isDefaultDomain(o.domain))
  if (!main) throw new ImportError(`${fileName} imports no version of the default ONNX operator set`)
  const version = int64ToNumber(main.version, `${fileName}: the opset version`)
  if (version < MIN_OPSET || version > MAX_OPSET)
    throw new ImportError(
      `${fileName} uses ONNX opset ${version}; opsets ${MIN_OPSET} to ${MAX_OPSET} are supported (export again with opset_version between them)`
    )
  return version
}

function constantNodeValue(n: LabelledNode): ConstTensor {
  const attrs = new NodeAttributes(n.node, n.label)
  const t = attrs.tensor('value')
  if (t) return readTensor(t, `${n.label} (Constant)`)
  if (attrs.has('value_float')) return { dims: [], kind: 'float', values: Float32Array.of(attrs.float('value_float', 0)) }
  const floats = attrs.floats('value_floats')
  if (floats) return { dims: [floats.length], kind: 'float', values: Float32Array.from(floats) }
  if (attrs.has('value_int')) return { dims: [], kind: 'int', values: [attrs.int('value_int', 0)] }
  const ints = attrs.ints('value_ints', null)
  if (ints) return { dims: [ints.length], kind: 'int', values: ints }
  throw new ImportError(
    `${n.label}: a Constant of kind ${attrs.names().join(', ') || 'none'} is not supported (only tensors, floats and ints)`
  )
}

function singleInput(model: ReturnType<typeof decodeOnnxModel>, initialized: Set<string>, fileName: string): OnnxGraph['input'] {
  const inputs = (model.graph!.input ?? []).filter((i) => !initialized.has(i.name ?? ''))
  if (inputs.length !== 1)
    throw new ImportError(
      `${fileName} has ${inputs.length} inputs${inputs.length ? ` (${inputs.map((i) => i.name).join(', ')})` : ''}; a classifier takes one batch of images`
    )
  const input = inputs[0]!
  const tensorType = input.type?.tensorType
  if (!tensorType) throw new ImportError(`${fileName}: the input "${input.name}" is not a tensor`)
  if (tensorType.elemType !== OnnxDataType.FLOAT)
    throw new ImportError(
      `${fileName}: the input "${input.name}" has element type ${OnnxDataType[tensorType.elemType ?? 0] ?? tensorType.elemType}; images come as float32`
    )
  const dims = (tensorType.shape?.dim ?? []).map((d) =>
    d.dimValue !== null && d.dimValue !== undefined && !d.dimParam ? int64ToNumber(d.dimValue, `${fileName}: input "${input.name}"`) : null
  )
  return { name: input.name ?? '', dims }
}

/** Orders the nodes so each follows the producers of its inputs; what cannot be ordered is a cycle. */
function sortNodes(nodes: LabelledNode[], available: Set<string>): LabelledNode[] {
  const producer = new Map<string, LabelledNode>()
  for (const n of nodes) for (const o of n.node.output ?? []) if (o) producer.set(o, n)
  for (const n of nodes) {
    for (const i of n.node.input ?? []) {
      if (i && !available.has(i) && !producer.has(i))
        throw new ImportError(`${n.label} reads "${i}", which no node, initializer or graph input provides (a missing initializer?)`)
    }
  }
  const sorted: LabelledNode[] = []
  const done = new Set<LabelledNode>()
  let pending = nodes
  while (pending.length > 0) {
    const ready = pending.filter((n) => (n.node.input ?? []).every((i) => !i || available.has(i) || done.has(producer.get(i)!)))
    if (ready.length === 0) throw new ImportError(`The graph has a cycle: ${pending[0]!.label} depends on its own output`)
    for (const n of ready) {
      sorted.push(n)
      done.add(n)
    }
    pending = pending.filter((n) => !done.has(n))
  }
  return sorted
}

/** The nodes the output depends on, keeping the sorted order. */
function liveNodes(sorted: LabelledNode[], output: string): LabelledNode[] {
  const needed = new Set([output])
  const live: LabelledNode[] = []
  for (const n of [...sorted].reverse()) {
    if (!(n.node.output ?? []).some((o) => needed.has(o))) continue
    live.push(n)
    for (const i of n.node.input ?? []) if (i) needed.add(i)
  }
  return live.reverse()
}

/** Decodes and checks an .onnx file's graph; every refusal names the file, node or tensor at fault. */
export function readOnnxGraph(bytes: Uint8Array, fileName: string): OnnxGraph {
  const model = decodeOnnxModel(bytes, fileName)
  const opset = opsetOf(model.opsetImport ?? [], fileName)
  const graph = model.graph!
  const constants = new Map<string, ConstTensor>()
  for (const t of graph.initializer ?? []) constants.set(t.name ?? '', readTensor(t, `initializer "${t.name}"`))
  if ((graph.sparseInitializer?.length ?? 0) > 0) throw new ImportError(`${fileName} has sparse initializers, which are not supported`)

  const labelled: LabelledNode[] = (graph.node ?? []).map((node, i) => ({
    node,
    opType: node.opType ?? '',
    label: node.name ? `node "${node.name}"` : `node #${i} (${node.opType})`
  }))
  for (const n of labelled) {
    if (!isDefaultDomain(n.node.domain))
      throw new ImportError(
        `${n.label}: ${n.opType} comes from the operator domain "${n.node.domain}"; only standard ONNX operators are supported`
      )
  }
  const input = singleInput(model, new Set(constants.keys()), fileName)
  const outputs = graph.output ?? []
  if (outputs.length !== 1)
    throw new ImportError(`${fileName} has ${outputs.length} outputs; a classifier gives one (the logits or the class probabilities)`)
  const output = outputs[0]!.name ?? ''

  const available = new Set([input.name, ...constants.keys()])
  const sorted = sortNodes(labelled, available)
  // Constant nodes become constants: what reads them sees values, as with initializers.
  for (const n of sorted) if (n.opType === 'Constant') constants.set(n.node.output![0]!, constantNodeValue(n))
  const nodes = liveNodes(sorted, output).filter((n) => n.opType !== 'Constant')
  if (constants.has(output) || output === input.name)
    throw new ImportError(`${fileName}: the output "${output}" does not depend on the input`)

  const uses = new Map<string, number>([[output, 1]])
  for (const n of nodes) for (const i of n.node.input ?? []) if (i) uses.set(i, (uses.get(i) ?? 0) + 1)
  return { opset, input, output, nodes, constants, uses }
}
