import * as tf from '@tensorflow/tfjs'
import { ownedVariable } from '../util/tensors'
import type { GraphNode, ModelGraph } from './graph'
import { nodeInputs, weightNamesOf } from './graph'
import { FunctionalModel, initialWeightValue } from './functional-model'
import { inferShapes } from './shapes'

/**
 * REM's dedicated channels. Every hidden conv/dense layer gets extra output channels (with their
 * own BN parameters and depthwise filters), and every layer that reads it gets new input slices.
 * While the new channels are masked to zero the widened model computes exactly what the original
 * did. A concatenation of widened branches is refused: its new channels would interleave with the old.
 */
export interface MaskPoint {
  /** Node whose output is multiplied by the per-sample channel mask. */
  node: string
  original: number
  extra: number
}

export interface Widened {
  model: FunctionalModel
  maskPoints: MaskPoint[]
  originalGraph: ModelGraph
}

/** How the channels of each node's output split into original and extra. */
interface Width {
  channels: number
  extra: number
  /** For flatten outputs: the spatial size in front of the channels. */
  spatial?: number
}

function isWeightLayer(n: GraphNode): n is Extract<GraphNode, { kind: 'conv2d' | 'dense' }> {
  return n.kind === 'conv2d' || n.kind === 'dense'
}

function planWidths(graph: ModelGraph, capacity: number): Map<string, Width> {
  const shapes = inferShapes(graph)
  const widths = new Map<string, Width>()
  for (const node of graph.nodes) {
    const channels = shapes.get(node.name)!.at(-1)!
    const inputs = nodeInputs(node).map((i) => widths.get(i)!)
    let extra = 0
    let spatial: number | undefined
    if (isWeightLayer(node)) {
      extra = node.name === graph.output ? 0 : Math.max(1, Math.round((channels * (1 - capacity)) / capacity))
    } else if (node.kind === 'add' || node.kind === 'multiply') {
      const extras = new Set(inputs.map((w) => w.extra))
      if (extras.size > 1)
        throw new Error(
          `Layer "${node.name}" ${node.kind === 'add' ? 'adds' : 'multiplies'} branches that would get different numbers of new channels; this model cannot be widened`
        )
      extra = inputs[0]!.extra
    } else if (node.kind === 'concat') {
      // The new channels of each input would sit between the original ones, where the mask points cannot tell them apart.
      if (inputs.some((w) => w.extra > 0))
        throw new Error(`Layer "${node.name}" (Concatenate) joins widened branches; REM cannot widen through a concatenation of channels`)
    } else if (node.kind === 'flatten') {
      const inShape = shapes.get(node.input)!
      spatial = inShape.slice(0, -1).reduce((a, b) => a * b, 1)
      extra = spatial * inputs[0]!.extra
    } else if (node.kind !== 'input') {
      extra = inputs[0]!.extra
    }
    if (node.name === graph.output && extra > 0) throw new Error(`The output layer "${node.name}" would be widened`)
    widths.set(node.name, { channels, extra, ...(spatial !== undefined ? { spatial } : {}) })
  }
  return widths
}

/** Row index in a widened kernel for input feature `row` of the original one. */
function widenedRow(row: number, flattenedChannels: { original: number; extra: number } | null): number {
  if (!flattenedChannels) return row
  const { original, extra } = flattenedChannels
  const s = Math.floor(row / original)
  return s * (original + extra) + (row % original)
}

/**
 * How the new slices of a kernel start: `fan-in-uniform` is PyTorch's default for a conv or linear
 * layer, U(±1/√fan_in) over the widened fan-in, as the official REM code's dedicated channels start;
 * `glorot` is Keras' default. Either way the original block is copied over.
 */
export type NewChannelInit = 'fan-in-uniform' | 'glorot'

/** Glorot-uniform values scaled to U(±1/√fan_in): both are uniform, only their bounds differ. */
function fanInUniformScale(shape: number[]): number {
  const receptive = shape.slice(0, -2).reduce((a, b) => a * b, 1)
  const fanIn = receptive * shape.at(-2)!
  const fanOut = receptive * shape.at(-1)!
  return 1 / Math.sqrt(fanIn) / Math.sqrt(6 / (fanIn + fanOut))
}

export function widenModel(model: FunctionalModel, capacity = 0.5, seed = 0, init: NewChannelInit = 'glorot'): Widened {
  if (!(capacity > 0 && capacity < 1)) throw new Error(`capacity must be in (0, 1), got ${capacity}`)
  const graph = model.graph
  const widths = planWidths(graph, capacity)
  const byName = new Map(graph.nodes.map((n) => [n.name, n]))
  const nodes: GraphNode[] = graph.nodes.map((n) => {
    const extra = widths.get(n.name)!.extra
    if (n.kind === 'conv2d') return { ...n, filters: n.filters + extra }
    if (n.kind === 'dense') return { ...n, units: n.units + extra }
    return { ...n }
  })
  const weights = new Map<string, tf.Variable>()
  for (const node of graph.nodes) {
    const out = widths.get(node.name)!
    if (isWeightLayer(node)) {
      const inWidth = widths.get(node.input)!
      const inNode = byName.get(node.input)!
      // A dense layer reading a flatten sees channels interleaved with positions (NHWC order).
      const flat =
        inNode.kind === 'flatten' ? { original: widths.get(inNode.input)!.channels, extra: widths.get(inNode.input)!.extra } : null
      const oldKernel = model.weights.get(`${node.name}/kernel`)!
      const oldShape = oldKernel.shape
      const cin = oldShape.at(-2)!
      const cout = oldShape.at(-1)!
      const newShape = [...oldShape.slice(0, -2), cin + inWidth.extra, cout + out.extra]
      const fresh = initialWeightValue(`${node.name}/kernel`, newShape, seed)
      const values = fresh.dataSync().slice()
      fresh.dispose()
      if (init === 'fan-in-uniform') {
        const scale = fanInUniformScale(newShape)
        for (let k = 0; k < values.length; k++) values[k] = values[k]! * scale
      }
      const old = oldKernel.dataSync()
      const receptive = oldShape.slice(0, -2).reduce((a, b) => a * b, 1)
      const newCin = cin + inWidth.extra
      const newCout = cout + out.extra
      for (let r = 0; r < receptive; r++)
        for (let i = 0; i < cin; i++) {
          const ni = widenedRow(i, flat)
          for (let o = 0; o < cout; o++) values[(r * newCin + ni) * newCout + o] = old[(r * cin + i) * cout + o]!
        }
      weights.set(
        `${node.name}/kernel`,
        ownedVariable(() => tf.tensor(values, newShape), true)
      )
      if (node.useBias) {
        weights.set(
          `${node.name}/bias`,
          ownedVariable(() => tf.concat([model.weights.get(`${node.name}/bias`)!, tf.zeros([out.extra])]), true)
        )
      }
    } else if (node.kind === 'depthwise') {
      // Channel by channel: the new channels get fresh filters (and zero biases) of their own, the original ones keep theirs.
      const name = `${node.name}/depthwise_kernel`
      const old = model.weights.get(name)!
      const [kh, kw, c] = old.shape as [number, number, number, number]
      const freshShape = [kh, kw, c + out.extra, 1]
      const fresh = initialWeightValue(name, freshShape, seed)
      // A depthwise filter's fan-in is its window (PyTorch: in_channels / groups = 1 times kh·kw).
      const scale = init === 'fan-in-uniform' ? 1 / Math.sqrt(kh * kw) / Math.sqrt(6 / (kh * kw * (c + out.extra) + kh * kw)) : 1
      const tail = tf.tidy(() => tf.mul(tf.slice(fresh, [0, 0, c, 0], [kh, kw, out.extra, 1]), scale))
      weights.set(
        name,
        ownedVariable(() => tf.concat([old, tail], 2), true)
      )
      tf.dispose([fresh, tail])
      if (node.useBias)
        weights.set(
          `${node.name}/bias`,
          ownedVariable(() => tf.concat([model.weights.get(`${node.name}/bias`)!, tf.zeros([out.extra])]), true)
        )
    } else if (node.kind === 'batchnorm') {
      for (const name of weightNamesOf(node)) {
        const leaf = name.slice(name.lastIndexOf('/') + 1)
        const fill = leaf === 'gamma' || leaf === 'moving_variance' ? tf.ones([out.extra]) : tf.zeros([out.extra])
        const joined = tf.concat([model.weights.get(name)!, fill])
        weights.set(name, tf.variable(joined, !name.endsWith('moving_mean') && !name.endsWith('moving_variance')))
        tf.dispose([fill, joined])
      }
    }
  }
  const consumers = new Set(
    graph.nodes.filter((n) => isWeightLayer(n) || n.kind === 'depthwise' || n.kind === 'flatten' || n.kind === 'gap').flatMap(nodeInputs)
  )
  const maskPoints = graph.nodes
    .filter((n) => consumers.has(n.name) && widths.get(n.name)!.extra > 0 && n.kind !== 'flatten')
    .map((n) => ({ node: n.name, original: widths.get(n.name)!.channels, extra: widths.get(n.name)!.extra }))
  return { model: new FunctionalModel({ ...graph, nodes }, weights), maskPoints, originalGraph: graph }
}

/** Drops the new channels: the original architecture with the (possibly updated) original weights. */
export function narrowModel(widened: Widened): FunctionalModel {
  const graph = widened.originalGraph
  const wide = widened.model
  const byName = new Map(graph.nodes.map((n) => [n.name, n]))
  const weights = new Map<string, tf.Variable>()
  const shapes = inferShapes(graph)
  for (const node of graph.nodes) {
    if (isWeightLayer(node)) {
      const kernel = wide.weights.get(`${node.name}/kernel`)!
      const cin = shapes.get(node.input)!.at(-1)!
      const cout = node.kind === 'conv2d' ? node.filters : node.units
      const inNode = byName.get(node.input)!
      let sliced: tf.Tensor
      if (inNode.kind === 'flatten') {
        // Rows of a flattened input: keep, per position, the original channels only.
        const source = shapes.get(inNode.input)!
        const c = source.at(-1)!
        const spatial = cin / c
        const wideC = kernel.shape[0]! / spatial
        sliced = tf.tidy(() =>
          tf.reshape(tf.slice(tf.reshape(kernel, [spatial, wideC, kernel.shape[1]!]), [0, 0, 0], [spatial, c, cout]), [cin, cout])
        )
      } else {
        const begin = kernel.shape.map(() => 0)
        sliced = tf.slice(kernel, begin, [...kernel.shape.slice(0, -2), cin, cout])
      }
      weights.set(`${node.name}/kernel`, tf.variable(sliced, true))
      sliced.dispose()
      if (node.useBias) {
        const b = tf.slice(wide.weights.get(`${node.name}/bias`)!, [0], [cout])
        weights.set(`${node.name}/bias`, tf.variable(b, true))
        b.dispose()
      }
    } else if (node.kind === 'depthwise') {
      const c = shapes.get(node.name)!.at(-1)!
      const kernel = wide.weights.get(`${node.name}/depthwise_kernel`)!
      const sliced = tf.slice(kernel, [0, 0, 0, 0], [kernel.shape[0]!, kernel.shape[1]!, c, 1])
      weights.set(`${node.name}/depthwise_kernel`, tf.variable(sliced, true))
      sliced.dispose()
      if (node.useBias) {
        const b = tf.slice(wide.weights.get(`${node.name}/bias`)!, [0], [c])
        weights.set(`${node.name}/bias`, tf.variable(b, true))
        b.dispose()
      }
    } else if (node.kind === 'batchnorm') {
      const c = shapes.get(node.name)!.at(-1)!
      for (const name of weightNamesOf(node)) {
        const s = tf.slice(wide.weights.get(name)!, [0], [c])
        weights.set(name, tf.variable(s, !name.endsWith('moving_mean') && !name.endsWith('moving_variance')))
        s.dispose()
      }
    }
  }
  return new FunctionalModel(structuredClone(graph), weights)
}
