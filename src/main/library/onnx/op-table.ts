import { mapBatchNorm, mapConv, mapGemm, mapGlobalAveragePool, mapMatMul, mapPool } from './layer-ops'
import type { OpNode } from './op-context'
import { mapActivation, mapAdd, mapDropout, mapFlatten, mapIdentity, mapPad, mapReshape, mapSoftmax } from './tensor-ops'

/** The ONNX operators the import maps onto the engine's layers, and how. */
const MAPPERS: Record<string, (node: OpNode) => void> = {
  Conv: mapConv,
  BatchNormalization: mapBatchNorm,
  Relu: mapActivation,
  Sigmoid: mapActivation,
  Tanh: mapActivation,
  Softmax: mapSoftmax,
  MaxPool: mapPool,
  AveragePool: mapPool,
  GlobalAveragePool: mapGlobalAveragePool,
  Gemm: mapGemm,
  MatMul: mapMatMul,
  Add: mapAdd,
  Flatten: mapFlatten,
  Reshape: mapReshape,
  Identity: mapIdentity,
  Dropout: mapDropout,
  Pad: mapPad
}

export const SUPPORTED_ONNX_OPS = Object.keys(MAPPERS).filter((op) => op !== 'Pad')

// Common in image classifiers, but the engine has no layer for them yet (issue 26).
const NOT_YET: Record<string, string> = {
  LeakyRelu: 'LeakyRelu',
  Clip: 'Clip (as in ReLU6)',
  Mul: 'Mul',
  Concat: 'Concat'
}

/** Maps one node, or refuses it naming its operator. */
export function mapNode(node: OpNode): void {
  const mapper = MAPPERS[node.op]
  if (mapper) return mapper(node)
  if (NOT_YET[node.op]) throw node.refuse(`${NOT_YET[node.op]} is not supported yet`)
  throw node.refuse(`${node.op || 'an empty op_type'} is not an operator this app can import (supported: ${SUPPORTED_ONNX_OPS.join(', ')})`)
}
