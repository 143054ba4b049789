import { type ModelGraph, validateGraph } from '../../engine/model/graph'
import { ImportError } from '../model-bundle'
import { EngineGraphBuilder, type WeightValues } from './engine-graph-builder'
import { checkOnnxInput, type InputLayout, type OnnxTarget } from './onnx-input'
import { type ActValue, shapeText, sizeOf, type Value } from './onnx-values'
import { type MappingContext, OpNode } from './op-context'
import { mapNode } from './op-table'
import { readOnnxGraph } from './read-onnx-graph'
import { flattenOrder } from './weight-layout'

export type { OnnxTarget } from './onnx-input'

/** An ONNX model as the engine's graph and weights, with what onnxruntime needs to run the original beside it. */
export interface ConvertedOnnx {
  graph: ModelGraph
  weights: Map<string, WeightValues>
  /** The ONNX input's name and layout, to feed onnxruntime the same images. */
  runtimeInput: InputLayout & { name: string }
  opset: number
  /** What the conversion changed beyond layout (widened kernels), for the import summary. */
  notes: string[]
}

/** The engine's input layer, and the model's input as ONNX sees it. */
function inputValue(builder: EngineGraphBuilder, name: string, target: OnnxTarget, layout: InputLayout): ActValue {
  const node = builder.add(name || 'input', { kind: 'input', shape: target.inputShape })
  if (layout.dims.length === 3) return { kind: 'act', node, dims: layout.dims, layout: 'nhwc', order: null }
  // A model of flattened images (C, H, W order) reads the engine's images through a flatten layer.
  const [h, w, c] = target.inputShape as [number, number, number]
  const flat = builder.add(`${name}_flatten`, { kind: 'flatten', input: node })
  return { kind: 'act', node: flat, dims: layout.dims, layout: 'flat', order: flattenOrder(c, h, w) }
}

/** The logits (or probabilities, before the recorded softmax) of `numClasses` classes, in ONNX's order. */
function outputNode(value: Value | undefined, target: OnnxTarget, inputNode: string, fileName: string): string {
  if (!value || value.kind !== 'act' || value.node === inputNode)
    throw new ImportError(`${fileName}: the output does not depend on the input`)
  if (value.layout !== 'flat' || value.order !== null)
    throw new ImportError(`${fileName}: the output has shape ${shapeText(value.dims)}; a classifier outputs [N, classes]`)
  const classes = sizeOf(value.dims)
  if (classes !== target.numClasses)
    throw new ImportError(`${fileName}: the model outputs ${classes} classes, but ${target.name} has ${target.numClasses}`)
  return value.node
}

/**
 * Converts an .onnx file for a dataset: reads and checks the graph, then maps node by node onto
 * the engine's layers (NCHW → NHWC weights). Every refusal names the node or tensor at fault.
 */
export function convertOnnx(bytes: Uint8Array, fileName: string, target: OnnxTarget): ConvertedOnnx {
  const onnxGraph = readOnnxGraph(bytes, fileName)
  const layout = checkOnnxInput(onnxGraph.input, target, fileName)
  const builder = new EngineGraphBuilder()
  const input = inputValue(builder, onnxGraph.input.name, target, layout)
  builder.addReaders(input.node, onnxGraph.uses.get(onnxGraph.input.name) ?? 0)
  const ctx: MappingContext = {
    graph: onnxGraph,
    builder,
    values: new Map<string, Value>([...onnxGraph.constants, [onnxGraph.input.name, input]]),
    fixedBatch: layout.fixedBatch,
    outputSoftmax: false
  }
  for (const n of onnxGraph.nodes) mapNode(new OpNode(ctx, n))
  const output = outputNode(ctx.values.get(onnxGraph.output), target, builder.nodes[0]!.name, fileName)
  const graph: ModelGraph = {
    arch: 'imported',
    nodes: builder.nodes,
    output,
    inputShape: target.inputShape,
    numClasses: target.numClasses,
    ...(ctx.outputSoftmax ? { outputSoftmax: true } : {})
  }
  try {
    validateGraph(graph)
  } catch (err) {
    throw new ImportError(`${fileName}: the converted graph is inconsistent: ${(err as Error).message}`)
  }
  return {
    graph,
    weights: builder.weights,
    runtimeInput: { ...layout, name: onnxGraph.input.name },
    opset: onnxGraph.opset,
    notes: builder.notes
  }
}
