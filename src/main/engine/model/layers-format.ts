import * as tf from '@tensorflow/tfjs'
import type { Activation, GraphNode, ModelGraph, Padding } from './graph'
import { nodeInputs, weightNamesOf } from './graph'
import { FunctionalModel } from './functional-model'
import { SUPPORTED_LAYER_TYPES } from './supported-layers'

/**
 * Conversion between the engine's functional form and a tfjs-layers LayersModel. Saving goes
 * through tfjs-layers itself, so whatever we write is exactly what tf.loadLayersModel reads.
 */

type SymbolicOf = (name: string) => tf.SymbolicTensor

function layerFor(node: GraphNode, of: SymbolicOf): tf.SymbolicTensor {
  const name = node.name
  switch (node.kind) {
    case 'input':
      return tf.input({ shape: node.shape, name })
    case 'conv2d':
      return tf.layers
        .conv2d({
          name,
          filters: node.filters,
          kernelSize: node.kernelSize,
          strides: node.strides,
          padding: node.padding,
          useBias: node.useBias,
          activation: node.activation
        })
        .apply(of(node.input)) as tf.SymbolicTensor
    case 'depthwise':
      return tf.layers
        .depthwiseConv2d({
          name,
          kernelSize: node.kernelSize,
          depthMultiplier: 1,
          strides: node.strides,
          padding: node.padding,
          useBias: node.useBias,
          activation: node.activation
        })
        .apply(of(node.input)) as tf.SymbolicTensor
    case 'leakyrelu':
      return tf.layers.leakyReLU({ name, alpha: node.alpha }).apply(of(node.input)) as tf.SymbolicTensor
    case 'zeropad':
      return tf.layers.zeroPadding2d({ name, padding: node.padding }).apply(of(node.input)) as tf.SymbolicTensor
    case 'dense':
      return tf.layers
        .dense({ name, units: node.units, useBias: node.useBias, activation: node.activation })
        .apply(of(node.input)) as tf.SymbolicTensor
    case 'batchnorm':
      return tf.layers
        .batchNormalization({ name, axis: -1, epsilon: node.epsilon, momentum: node.momentum })
        .apply(of(node.input)) as tf.SymbolicTensor
    case 'activation':
      return tf.layers.activation({ name, activation: node.fn }).apply(of(node.input)) as tf.SymbolicTensor
    case 'maxpool':
      return tf.layers
        .maxPooling2d({ name, poolSize: node.poolSize, strides: node.strides, padding: node.padding })
        .apply(of(node.input)) as tf.SymbolicTensor
    case 'avgpool':
      return tf.layers
        .averagePooling2d({ name, poolSize: node.poolSize, strides: node.strides, padding: node.padding })
        .apply(of(node.input)) as tf.SymbolicTensor
    case 'gap':
      return tf.layers.globalAveragePooling2d({ name }).apply(of(node.input)) as tf.SymbolicTensor
    case 'flatten':
      return tf.layers.flatten({ name }).apply(of(node.input)) as tf.SymbolicTensor
    case 'dropout':
      return tf.layers.dropout({ name, rate: node.rate }).apply(of(node.input)) as tf.SymbolicTensor
    case 'add':
      return tf.layers.add({ name }).apply(node.inputs.map(of)) as tf.SymbolicTensor
    case 'multiply':
      return tf.layers.multiply({ name }).apply(node.inputs.map(of)) as tf.SymbolicTensor
    case 'concat':
      return tf.layers.concatenate({ name, axis: -1 }).apply(node.inputs.map(of)) as tf.SymbolicTensor
  }
}

/** Builds a LayersModel holding copies of the model's weights. The caller disposes it. */
export function toLayersModel(model: FunctionalModel): tf.LayersModel {
  const symbols = new Map<string, tf.SymbolicTensor>()
  const of: SymbolicOf = (n) => symbols.get(n)!
  for (const node of model.graph.nodes) symbols.set(node.name, layerFor(node, of))
  const output = model.graph.outputSoftmax
    ? (tf.layers
        .activation({ name: `${model.graph.output}_softmax`, activation: 'softmax' })
        .apply(of(model.graph.output)) as tf.SymbolicTensor)
    : of(model.graph.output)
  const lm = tf.model({ inputs: of(model.graph.nodes[0]!.name), outputs: output, name: model.graph.arch })
  for (const node of model.graph.nodes) {
    const names = weightNamesOf(node)
    if (names.length) lm.getLayer(node.name).setWeights(names.map((n) => model.weights.get(n)!))
  }
  return lm
}

type LayerLike = tf.layers.Layer & { inboundNodes: Array<{ inboundLayers: tf.layers.Layer[] }> }

function pair(v: unknown, fallback: number): [number, number] {
  if (Array.isArray(v)) return [Number(v[0]), Number(v[1] ?? v[0])]
  if (typeof v === 'number') return [v, v]
  return [fallback, fallback]
}

function activationOf(v: unknown, layer: string): Activation {
  const a = String(v ?? 'linear')
  if (['linear', 'relu', 'relu6', 'sigmoid', 'tanh', 'softmax'].includes(a)) return a as Activation
  throw new Error(`Layer "${layer}" uses activation "${a}", which is not supported`)
}

function nodeFrom(layer: LayerLike, inputs: string[]): GraphNode {
  const cls = layer.getClassName()
  const c = layer.getConfig() as Record<string, unknown>
  const name = layer.name
  const input = inputs[0]!
  const padding = (c.padding === 'same' ? 'same' : 'valid') as Padding
  switch (cls) {
    case 'Conv2D': {
      const dil = pair(c.dilationRate, 1)
      if (dil[0] !== 1 || dil[1] !== 1) throw new Error(`Layer "${name}" (Conv2D) uses dilation, which is not supported`)
      if (c.dataFormat === 'channelsFirst') throw new Error(`Layer "${name}" (Conv2D) is channels-first; only channels-last is supported`)
      return {
        kind: 'conv2d',
        name,
        input,
        filters: Number(c.filters),
        kernelSize: pair(c.kernelSize, 1),
        strides: pair(c.strides, 1),
        padding,
        useBias: c.useBias !== false,
        activation: activationOf(c.activation, name)
      }
    }
    case 'DepthwiseConv2D': {
      const dil = pair(c.dilationRate, 1)
      if (dil[0] !== 1 || dil[1] !== 1) throw new Error(`Layer "${name}" (DepthwiseConv2D) uses dilation, which is not supported`)
      if (c.dataFormat === 'channelsFirst')
        throw new Error(`Layer "${name}" (DepthwiseConv2D) is channels-first; only channels-last is supported`)
      const multiplier = Number(c.depthMultiplier ?? 1)
      if (multiplier !== 1) throw new Error(`Layer "${name}" (DepthwiseConv2D) has depth multiplier ${multiplier}; only 1 is supported`)
      return {
        kind: 'depthwise',
        name,
        input,
        kernelSize: pair(c.kernelSize, 1),
        strides: pair(c.strides, 1),
        padding,
        useBias: c.useBias !== false,
        activation: activationOf(c.activation, name)
      }
    }
    case 'LeakyReLU':
      return { kind: 'leakyrelu', name, input, alpha: Number(c.alpha ?? 0.3) }
    case 'ZeroPadding2D': {
      if (c.dataFormat === 'channelsFirst')
        throw new Error(`Layer "${name}" (ZeroPadding2D) is channels-first; only channels-last is supported`)
      // Keras writes ((top, bottom), (left, right)), one number per axis, or one number for all.
      const p = c.padding
      const padding: [[number, number], [number, number]] = Array.isArray(p)
        ? [pair(p[0], 0), pair(p[1] ?? p[0], 0)]
        : [pair(p, 1), pair(p, 1)]
      if (padding.flat().some((v) => !Number.isInteger(v) || v < 0))
        throw new Error(`Layer "${name}" (ZeroPadding2D) has padding ${JSON.stringify(p)}; only non-negative whole numbers are supported`)
      return { kind: 'zeropad', name, input, padding }
    }
    case 'Multiply':
      return { kind: 'multiply', name, inputs }
    case 'Concatenate': {
      const axis = Number(c.axis ?? -1)
      if (axis !== -1 && axis !== 3)
        throw new Error(`Layer "${name}" (Concatenate) joins axis ${axis}; only the channel axis (-1) is supported`)
      return { kind: 'concat', name, inputs }
    }
    case 'Dense':
      return {
        kind: 'dense',
        name,
        input,
        units: Number(c.units),
        useBias: c.useBias !== false,
        activation: activationOf(c.activation, name)
      }
    case 'BatchNormalization': {
      if (c.center === false || c.scale === false) throw new Error(`Layer "${name}" (BatchNormalization) must have center and scale on`)
      const axis = Number(c.axis ?? -1)
      if (axis !== -1 && axis !== 3 && axis !== 1)
        throw new Error(`Layer "${name}" normalises axis ${axis}; only the channel axis is supported`)
      return { kind: 'batchnorm', name, input, epsilon: Number(c.epsilon ?? 1e-3), momentum: Number(c.momentum ?? 0.99) }
    }
    case 'Activation':
      return { kind: 'activation', name, input, fn: activationOf(c.activation, name) }
    case 'ReLU':
      if (c.maxValue == null) return { kind: 'activation', name, input, fn: 'relu' }
      if (Number(c.maxValue) === 6) return { kind: 'activation', name, input, fn: 'relu6' }
      throw new Error(`Layer "${name}" (ReLU) has max value ${String(c.maxValue)}; only none or 6 (ReLU6) is supported`)
    case 'Softmax':
      return { kind: 'activation', name, input, fn: 'softmax' }
    case 'MaxPooling2D':
    case 'AveragePooling2D': {
      const poolSize = pair(c.poolSize, 2)
      return {
        kind: cls === 'MaxPooling2D' ? 'maxpool' : 'avgpool',
        name,
        input,
        poolSize,
        strides: c.strides == null ? poolSize : pair(c.strides, 1),
        padding
      }
    }
    case 'GlobalAveragePooling2D':
      return { kind: 'gap', name, input }
    case 'Flatten':
      return { kind: 'flatten', name, input }
    case 'Dropout':
      return { kind: 'dropout', name, input, rate: Number(c.rate ?? 0) }
    case 'Add':
      return { kind: 'add', name, inputs }
    default:
      throw new Error(`Layer "${name}" has type ${cls}, which is not supported (supported: ${SUPPORTED_LAYER_TYPES.slice(1).join(', ')})`)
  }
}

/** Converts a LayersModel (ours or anyone's, within the supported layer types) to the functional form. */
export function fromLayersModel(lm: tf.LayersModel, arch = 'imported'): FunctionalModel {
  if (lm.inputs.length !== 1 || lm.outputs.length !== 1) throw new Error('Only models with one input and one output are supported')
  const inputShape = lm.inputs[0]!.shape.slice(1).map((d) => {
    if (d == null) throw new Error('The model input has an unknown dimension')
    return d
  })
  const nodes: GraphNode[] = []
  const known = new Set<string>()
  // Sequential models list no InputLayer among their layers; the input tensor still names it.
  const inputLayerName = lm.inputs[0]!.sourceLayer.name
  nodes.push({ kind: 'input', name: inputLayerName, shape: inputShape })
  known.add(inputLayerName)
  const weights = new Map<string, tf.Variable>()
  for (const layer of lm.layers as LayerLike[]) {
    if (layer.getClassName() === 'InputLayer') continue
    const inbound = layer.inboundNodes[0]?.inboundLayers.map((l) => l.name) ?? []
    const inputs = inbound.length ? inbound : [inputLayerName]
    for (const i of inputs) if (!known.has(i)) throw new Error(`Layer "${layer.name}" reads "${i}", which comes later`)
    const node = nodeFrom(layer, inputs)
    nodes.push(node)
    known.add(node.name)
    const values = layer.getWeights()
    const names = weightNamesOf(node)
    if (values.length !== names.length) throw new Error(`Layer "${layer.name}" has ${values.length} weights, expected ${names.length}`)
    names.forEach((n, i) => weights.set(n, tf.variable(values[i]!, !n.endsWith('moving_mean') && !n.endsWith('moving_variance'))))
  }
  const output = lm.outputs[0]!.sourceLayer.name
  const outShape = lm.outputs[0]!.shape
  if (outShape.length !== 2 || outShape[1] == null)
    throw new Error(`The model output has shape [${outShape.join(', ')}]; a classifier outputs [batch, classes]`)
  const graph: ModelGraph = { arch, ...withoutOutputSoftmax(nodes, output), inputShape, numClasses: outShape[1] }
  return new FunctionalModel(graph, weights)
}

/**
 * Every loss in the engine reads the output as logits, while most classifiers saved elsewhere end
 * in a softmax: a softmax at the output (as a layer, or as the last layer's activation) is taken off.
 */
function withoutOutputSoftmax(nodes: GraphNode[], output: string): { nodes: GraphNode[]; output: string; outputSoftmax?: boolean } {
  const last = nodes.find((n) => n.name === output)!
  const readers = nodes.filter((n) => nodeInputs(n).includes(output))
  if (readers.length > 0) return { nodes, output }
  if (last.kind === 'activation' && last.fn === 'softmax')
    return { nodes: nodes.filter((n) => n !== last), output: last.input, outputSoftmax: true }
  if ((last.kind === 'dense' || last.kind === 'conv2d' || last.kind === 'depthwise') && last.activation === 'softmax') {
    return { nodes: nodes.map((n) => (n === last ? { ...last, activation: 'linear' as const } : n)), output, outputSoftmax: true }
  }
  return { nodes, output }
}
