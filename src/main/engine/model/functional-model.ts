import * as tf from '@tensorflow/tfjs'
import { type GraphNode, type ModelGraph, isTrainableWeight, validateGraph, weightNamesOf } from './graph'
import { weightShapes } from './shapes'
import { hashSeed } from '../util/random'
import { batchNormTrainingWithMoments } from './batch-norm'

export interface ForwardOptions {
  /** Batch statistics for BN, dropout on, and BN moving averages updated. */
  training?: boolean
  /** Per-sample channel masks, keyed by layer name, shape [batch, channels]; multiply that layer's output. */
  masks?: Record<string, tf.Tensor2D>
  /** Seed for dropout in training mode; vary it per step. */
  dropoutSeed?: number
}

/** Keras' default initial value of a weight: Glorot-uniform kernels, zero biases, identity BN. */
export function initialWeightValue(name: string, shape: number[], seed: number): tf.Tensor {
  const leaf = name.slice(name.lastIndexOf('/') + 1)
  // Keras initialises a depthwise kernel [kh, kw, C, 1] with the same Glorot rule over its shape.
  if (leaf === 'kernel' || leaf === 'depthwise_kernel') {
    const receptive = shape.slice(0, -2).reduce((a, b) => a * b, 1)
    const fanIn = receptive * shape.at(-2)!
    const fanOut = receptive * shape.at(-1)!
    const limit = Math.sqrt(6 / (fanIn + fanOut))
    return tf.randomUniform(shape, -limit, limit, 'float32', hashSeed(seed, name))
  }
  if (leaf === 'gamma' || leaf === 'moving_variance') return tf.ones(shape)
  return tf.zeros(shape)
}

/** A graph plus one tf.Variable per weight. Owns its variables: call dispose(). */
export class FunctionalModel {
  readonly graph: ModelGraph
  readonly weights: Map<string, tf.Variable>
  private readonly outputSkipsSoftmax: boolean

  constructor(graph: ModelGraph, weights: Map<string, tf.Variable>) {
    validateGraph(graph)
    const expected = weightShapes(graph)
    for (const [name, shape] of expected) {
      const w = weights.get(name)
      if (!w) throw new Error(`Missing weight "${name}"`)
      if (w.shape.join('x') !== shape.join('x')) {
        throw new Error(`Weight "${name}" has shape [${w.shape.join(', ')}], expected [${shape.join(', ')}]`)
      }
    }
    this.graph = graph
    this.weights = weights
    this.outputSkipsSoftmax = endsInSoftmax(graph)
  }

  static initialize(graph: ModelGraph, seed: number): FunctionalModel {
    const weights = new Map<string, tf.Variable>()
    for (const [name, shape] of weightShapes(graph)) {
      const value = initialWeightValue(name, shape, seed)
      weights.set(name, tf.variable(value, isTrainableWeight(name)))
      value.dispose()
    }
    return new FunctionalModel(graph, weights)
  }

  /** Weights in graph order, as tfjs-layers would list them. */
  orderedWeightNames(): string[] {
    return this.graph.nodes.flatMap(weightNamesOf)
  }

  trainableVariables(): tf.Variable[] {
    return this.orderedWeightNames()
      .filter(isTrainableWeight)
      .map((n) => this.weights.get(n)!)
  }

  parameterCount(): number {
    let n = 0
    for (const w of this.weights.values()) n += w.size
    return n
  }

  clone(): FunctionalModel {
    const copy = new Map<string, tf.Variable>()
    for (const [name, w] of this.weights) copy.set(name, tf.variable(w, w.trainable))
    return new FunctionalModel(structuredClone(this.graph), copy)
  }

  dispose(): void {
    for (const w of this.weights.values()) w.dispose()
  }

  /** Logits for a batch. A trailing softmax is left out, so losses always see logits. */
  forward(x: tf.Tensor, options: ForwardOptions = {}): tf.Tensor2D {
    const values = new Map<string, tf.Tensor>()
    for (const node of this.graph.nodes) {
      let out = node.kind === 'input' ? x : this.apply(node, values, options)
      const mask = options.masks?.[node.name]
      if (mask) out = applyChannelMask(out, mask)
      values.set(node.name, out)
    }
    return values.get(this.graph.output) as tf.Tensor2D
  }

  private weight(name: string): tf.Variable {
    const w = this.weights.get(name)
    if (!w) throw new Error(`Missing weight "${name}"`)
    return w
  }

  private activate(x: tf.Tensor, node: GraphNode, activation: string): tf.Tensor {
    if (activation === 'softmax' && this.outputSkipsSoftmax && node.name === this.graph.output) return x
    switch (activation) {
      case 'relu':
        return tf.relu(x)
      case 'relu6':
        return tf.relu6(x)
      case 'sigmoid':
        return tf.sigmoid(x)
      case 'tanh':
        return tf.tanh(x)
      case 'softmax':
        return tf.softmax(x)
      default:
        return x
    }
  }

  private apply(node: GraphNode, values: Map<string, tf.Tensor>, opt: ForwardOptions): tf.Tensor {
    const input = (name: string) => values.get(name)!
    switch (node.kind) {
      case 'input':
        throw new Error('The input node is bound by forward()')
      case 'conv2d': {
        let y: tf.Tensor = tf.conv2d(
          input(node.input) as tf.Tensor4D,
          this.weight(`${node.name}/kernel`) as tf.Tensor4D,
          node.strides,
          node.padding
        )
        if (node.useBias) y = tf.add(y, this.weight(`${node.name}/bias`))
        return this.activate(y, node, node.activation)
      }
      case 'depthwise': {
        let y: tf.Tensor = tf.depthwiseConv2d(
          input(node.input) as tf.Tensor4D,
          this.weight(`${node.name}/depthwise_kernel`) as tf.Tensor4D,
          node.strides,
          node.padding
        )
        if (node.useBias) y = tf.add(y, this.weight(`${node.name}/bias`))
        return this.activate(y, node, node.activation)
      }
      case 'dense': {
        const x = input(node.input)
        const flat = x.rank === 2 ? (x as tf.Tensor2D) : (tf.reshape(x, [-1, x.shape.at(-1)!]) as tf.Tensor2D)
        let y: tf.Tensor = tf.matMul(flat, this.weight(`${node.name}/kernel`) as tf.Tensor2D)
        if (node.useBias) y = tf.add(y, this.weight(`${node.name}/bias`))
        if (x.rank !== 2) y = tf.reshape(y, [...x.shape.slice(0, -1), node.units])
        return this.activate(y, node, node.activation)
      }
      case 'batchnorm':
        return this.batchNorm(node, input(node.input), opt.training === true)
      case 'activation':
        return this.activate(input(node.input), node, node.fn)
      case 'leakyrelu':
        return tf.leakyRelu(input(node.input), node.alpha)
      case 'zeropad': {
        const [[top, bottom], [left, right]] = node.padding
        return tf.pad(input(node.input), [
          [0, 0],
          [top, bottom],
          [left, right],
          [0, 0]
        ])
      }
      case 'maxpool':
        return tf.maxPool(input(node.input) as tf.Tensor4D, node.poolSize, node.strides, node.padding)
      case 'avgpool':
        return tf.avgPool(input(node.input) as tf.Tensor4D, node.poolSize, node.strides, node.padding)
      case 'gap':
        return tf.mean(input(node.input), [1, 2])
      case 'flatten': {
        const x = input(node.input)
        return tf.reshape(x, [x.shape[0]!, -1])
      }
      case 'dropout':
        return opt.training && node.rate > 0
          ? tf.dropout(input(node.input), node.rate, undefined, hashSeed(opt.dropoutSeed ?? 0, node.name))
          : input(node.input)
      case 'add':
        return tf.addN(node.inputs.map(input))
      case 'multiply':
        return node.inputs.map(input).reduce((a, b) => tf.mul(a, b))
      case 'concat':
        return tf.concat(node.inputs.map(input), -1)
    }
  }

  private batchNorm(node: GraphNode & { kind: 'batchnorm' }, x: tf.Tensor, training: boolean): tf.Tensor {
    const gamma = this.weight(`${node.name}/gamma`)
    const beta = this.weight(`${node.name}/beta`)
    const movingMean = this.weight(`${node.name}/moving_mean`)
    const movingVar = this.weight(`${node.name}/moving_variance`)
    if (!training) return tf.batchNorm(x, movingMean, movingVar, beta, gamma, node.epsilon)
    const m = node.momentum
    return batchNormTrainingWithMoments(x, gamma, beta, node.epsilon, (mean, variance) => {
      // Moving statistics are not on the gradient path, so updating them here is safe inside a tape.
      movingMean.assign(tf.add(tf.mul(movingMean, m), tf.mul(mean, 1 - m)))
      movingVar.assign(tf.add(tf.mul(movingVar, m), tf.mul(variance, 1 - m)))
    })
  }
}

function applyChannelMask(out: tf.Tensor, mask: tf.Tensor2D): tf.Tensor {
  if (out.rank === 2) return tf.mul(out, mask)
  return tf.mul(out, tf.reshape(mask, [mask.shape[0], ...Array(out.rank - 2).fill(1), mask.shape[1]]))
}

function endsInSoftmax(graph: ModelGraph): boolean {
  const out = graph.nodes.find((n) => n.name === graph.output)
  if (!out) return false
  if (out.kind === 'activation') return out.fn === 'softmax'
  if (out.kind === 'dense' || out.kind === 'conv2d' || out.kind === 'depthwise') return out.activation === 'softmax'
  return false
}
