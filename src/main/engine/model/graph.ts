/**
 * The engine's functional model: a list of layer nodes in topological order plus named weights.
 * Unlearning methods need more than a black-box model (per-sample channel masks, gradient masks,
 * per-parameter Fisher information, input gradients), so every model is held in this form.
 */

export type Activation = 'linear' | 'relu' | 'relu6' | 'sigmoid' | 'tanh' | 'softmax'
export type Padding = 'same' | 'valid'

interface Base {
  name: string
}
export interface InputNode extends Base {
  kind: 'input'
  shape: number[]
}
export interface Conv2DNode extends Base {
  kind: 'conv2d'
  input: string
  filters: number
  kernelSize: [number, number]
  strides: [number, number]
  padding: Padding
  useBias: boolean
  activation: Activation
}
export interface DenseNode extends Base {
  kind: 'dense'
  input: string
  units: number
  useBias: boolean
  activation: Activation
}
/** A depthwise conv with depth multiplier 1: one kh×kw filter per channel (weights [kh, kw, C, 1]). */
export interface DepthwiseConv2DNode extends Base {
  kind: 'depthwise'
  input: string
  kernelSize: [number, number]
  strides: [number, number]
  padding: Padding
  useBias: boolean
  activation: Activation
}
export interface BatchNormNode extends Base {
  kind: 'batchnorm'
  input: string
  epsilon: number
  momentum: number
}
export interface ActivationNode extends Base {
  kind: 'activation'
  input: string
  fn: Activation
}
export interface LeakyReluNode extends Base {
  kind: 'leakyrelu'
  input: string
  alpha: number
}
/** Zeros around height and width: [[top, bottom], [left, right]], as Keras' ZeroPadding2D. */
export interface ZeroPadNode extends Base {
  kind: 'zeropad'
  input: string
  padding: [[number, number], [number, number]]
}
export interface PoolNode extends Base {
  kind: 'maxpool' | 'avgpool'
  input: string
  poolSize: [number, number]
  strides: [number, number]
  padding: Padding
}
export interface ReshapeLikeNode extends Base {
  kind: 'flatten' | 'gap'
  input: string
}
export interface DropoutNode extends Base {
  kind: 'dropout'
  input: string
  rate: number
}
/** Elementwise sum or product of equal shapes, or a concatenation along the channels (last axis). */
export interface MergeNode extends Base {
  kind: 'add' | 'multiply' | 'concat'
  inputs: string[]
}

export type GraphNode =
  | InputNode
  | Conv2DNode
  | DepthwiseConv2DNode
  | DenseNode
  | BatchNormNode
  | ActivationNode
  | LeakyReluNode
  | ZeroPadNode
  | PoolNode
  | ReshapeLikeNode
  | DropoutNode
  | MergeNode

export function isMerge(node: GraphNode): node is MergeNode {
  return node.kind === 'add' || node.kind === 'multiply' || node.kind === 'concat'
}

export interface ModelGraph {
  arch: string
  nodes: GraphNode[]
  /** Name of the node whose output is the model's output. */
  output: string
  inputShape: number[]
  numClasses: number
  /**
   * The imported model ended in a softmax. The engine works on logits, so the softmax is taken off
   * at import (predictions are unchanged) and put back when the model is saved.
   */
  outputSoftmax?: boolean
}

export function nodeInputs(node: GraphNode): string[] {
  if (node.kind === 'input') return []
  if (isMerge(node)) return node.inputs
  return [node.input]
}

/** Weight names, in the order tfjs-layers stores them for that layer type. */
export function weightNamesOf(node: GraphNode): string[] {
  switch (node.kind) {
    case 'conv2d':
    case 'dense':
      return node.useBias ? [`${node.name}/kernel`, `${node.name}/bias`] : [`${node.name}/kernel`]
    case 'depthwise':
      return node.useBias ? [`${node.name}/depthwise_kernel`, `${node.name}/bias`] : [`${node.name}/depthwise_kernel`]
    case 'batchnorm':
      return ['gamma', 'beta', 'moving_mean', 'moving_variance'].map((w) => `${node.name}/${w}`)
    default:
      return []
  }
}

export function isTrainableWeight(name: string): boolean {
  return !name.endsWith('/moving_mean') && !name.endsWith('/moving_variance')
}

export function validateGraph(graph: ModelGraph): void {
  const seen = new Set<string>()
  for (const node of graph.nodes) {
    if (seen.has(node.name)) throw new Error(`Layer name "${node.name}" is used twice`)
    for (const input of nodeInputs(node)) {
      if (!seen.has(input)) throw new Error(`Layer "${node.name}" reads "${input}", which is not defined before it`)
    }
    seen.add(node.name)
  }
  if (!seen.has(graph.output)) throw new Error(`Output layer "${graph.output}" does not exist`)
  if (graph.nodes[0]?.kind !== 'input') throw new Error('The first layer must be the input')
}
