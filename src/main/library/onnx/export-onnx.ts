import onnxProto from 'onnx-proto'
import type { ModelGraph } from '../../engine/model/graph'
import { OnnxGraphBuilder } from './export-builder'
import { emitGraph, type WeightValues } from './export-graph'

const { onnx } = onnxProto

// Opset 13 with IR version 7 (the IR that introduced it): read by onnxruntime, PyTorch's tooling and older importers alike.
export const ONNX_OPSET = 13
export const ONNX_IR_VERSION = 7
export const ONNX_INPUT = 'input'
export const ONNX_LOGITS = 'logits'
export const ONNX_PROBABILITIES = 'probabilities'

const FLOAT = onnx.TensorProto.DataType.FLOAT

function tensorValue(name: string, dims: Array<number | string>) {
  const dim = dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d }))
  return onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType: FLOAT, shape: { dim } } } })
}

/**
 * The model (its graph, and its weights by engine name) as an ONNX file's bytes: NCHW input
 * [N, C, H, W] with a dynamic batch, every weight an initializer inside the file, and a Softmax at
 * the end only where the model had one (`outputSoftmax`), so the output is what the saved
 * LayersModel outputs. `metadata` goes into metadata_props (source hash, dataset…).
 */
export function toOnnx(graph: ModelGraph, weight: WeightValues, metadata: Record<string, string> = {}): Uint8Array {
  const b = new OnnxGraphBuilder()
  const outputName = graph.outputSoftmax ? ONNX_PROBABILITIES : ONNX_LOGITS
  b.reserve(ONNX_INPUT, outputName)
  let out = emitGraph(b, graph, weight, ONNX_INPUT).name
  if (graph.outputSoftmax) out = b.op('Softmax', [out], `${graph.output}_softmax`, { axis: -1 })
  // A graph whose output is its input (no layers) still needs a node to name the output.
  if (out === ONNX_INPUT) out = b.op('Identity', [out], `${graph.output}_identity`)
  b.rename(out, outputName)

  const shape = graph.inputShape
  const inputDims = shape.length === 3 ? ['N', shape[2]!, shape[0]!, shape[1]!] : ['N', ...shape]
  const proto = onnx.ModelProto.create({
    irVersion: ONNX_IR_VERSION,
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    producerName: 'Unlearning Audit',
    graph: {
      name: graph.arch,
      docString: `Input ${shape.length === 3 ? 'NCHW' : '[N, features]'}, scaled as the dataset the model was trained on; output ${graph.outputSoftmax ? 'class probabilities' : 'logits'}.`,
      node: b.nodes,
      initializer: b.initializers,
      input: [tensorValue(ONNX_INPUT, inputDims)],
      output: [tensorValue(outputName, ['N', graph.numClasses])]
    },
    metadataProps: Object.entries({ arch: graph.arch, input_layout: shape.length === 3 ? 'NCHW' : 'NC', ...metadata }).map(
      ([key, value]) => ({ key, value })
    )
  })
  return onnx.ModelProto.encode(proto).finish()
}
