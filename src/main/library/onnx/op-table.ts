import { mapBatchNorm, mapConv, mapGemm, mapGlobalAveragePool, mapMatMul, mapPool } from './layer-ops'
import type { OpNode } from './op-context'
import { mapAdd, mapConcat, mapMul } from './merge-ops'
import { mapActivation, mapClip, mapDropout, mapFlatten, mapIdentity, mapLeakyRelu, mapPad, mapReshape, mapSoftmax } from './tensor-ops'

/** The ONNX operators the import maps onto the engine's layers, and how. */
const MAPPERS: Record<string, (node: OpNode) => void> = {
  Conv: mapConv,
  BatchNormalization: mapBatchNorm,
  Relu: mapActivation,
  Sigmoid: mapActivation,
  Tanh: mapActivation,
  LeakyRelu: mapLeakyRelu,
  Clip: mapClip,
  Softmax: mapSoftmax,
  MaxPool: mapPool,
  AveragePool: mapPool,
  GlobalAveragePool: mapGlobalAveragePool,
  Gemm: mapGemm,
  MatMul: mapMatMul,
  Add: mapAdd,
  Mul: mapMul,
  Concat: mapConcat,
  Flatten: mapFlatten,
  Reshape: mapReshape,
  Identity: mapIdentity,
  Dropout: mapDropout,
  Pad: mapPad
}

export const SUPPORTED_ONNX_OPS = Object.keys(MAPPERS)

/** Maps one node, or refuses it naming its operator. */
export function mapNode(node: OpNode): void {
  const mapper = MAPPERS[node.op]
  if (mapper) return mapper(node)
  throw node.refuse(`${node.op || 'an empty op_type'} is not an operator this app can import (supported: ${SUPPORTED_ONNX_OPS.join(', ')})`)
}
