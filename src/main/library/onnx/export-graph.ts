import type { Activation, GraphNode, ModelGraph } from '../../engine/model/graph'
import { inferShapes, weightShapes } from '../../engine/model/shapes'
import type { OnnxGraphBuilder } from './export-builder'
import { chwFlattenOrder, convKernelToOihw, denseKernelToOutIn, inverseOrder, reorder, sameOrder } from './export-layout'
import { onnxPads } from './export-pads'

/**
 * A layer's output in the exported graph. Rank 4 is NCHW. A rank-2 tensor that came from flattening
 * NCHW has its features in CHW order: `order[j]` is the engine's feature at position j. The next
 * dense or batch-norm layer takes that order into its weights, so no Transpose is needed.
 */
export interface Exported {
  name: string
  rank: 2 | 4
  order?: Int32Array
}

export type WeightValues = (name: string) => Float32Array

/** Emits the ONNX nodes of the engine graph into `b`; returns the tensor of `graph.output` in engine feature order. */
export function emitGraph(b: OnnxGraphBuilder, graph: ModelGraph, weight: WeightValues, inputName: string): Exported {
  const shapes = inferShapes(graph)
  const wShapes = weightShapes(graph)
  const values = new Map<string, Exported>()
  const of = (name: string) => values.get(name)!
  const hw = (name: string) => shapes.get(name)!.slice(0, 2) as [number, number]
  const w = (name: string) => ({ values: weight(name), shape: wShapes.get(name)! })

  const emit = (node: GraphNode): Exported => {
    switch (node.kind) {
      case 'input': {
        const rank = node.shape.length + 1
        if (rank !== 2 && rank !== 4)
          throw new Error(`ONNX export supports inputs of shape [H, W, C] or [features], not [${node.shape.join(', ')}]`)
        return { name: inputName, rank }
      }
      case 'conv2d': {
        const x = expectRank(node, of(node.input), 4)
        const kernel = w(`${node.name}/kernel`)
        const inputs = [x.name, b.floats(`${node.name}.weight`, oihwDims(kernel.shape), convKernelToOihw(kernel.values, kernel.shape))]
        if (node.useBias) inputs.push(b.floats(`${node.name}.bias`, [node.filters], weight(`${node.name}/bias`)))
        const y = b.op('Conv', inputs, node.name, {
          kernel_shape: node.kernelSize,
          strides: node.strides,
          pads: onnxPads(node.padding, hw(node.input), node.kernelSize, node.strides),
          dilations: [1, 1],
          group: 1
        })
        return activate(b, { name: y, rank: 4 }, node.activation, node.name)
      }
      case 'depthwise': {
        // A Conv with one group per channel: the kernel [kh, kw, C, 1] in OIHW order is [1, C, kh, kw], the bytes of [C, 1, kh, kw].
        const x = expectRank(node, of(node.input), 4)
        const kernel = w(`${node.name}/depthwise_kernel`)
        const channels = kernel.shape[2]!
        const [kh, kw] = node.kernelSize
        const inputs = [x.name, b.floats(`${node.name}.weight`, [channels, 1, kh, kw], convKernelToOihw(kernel.values, kernel.shape))]
        if (node.useBias) inputs.push(b.floats(`${node.name}.bias`, [channels], weight(`${node.name}/bias`)))
        const y = b.op('Conv', inputs, node.name, {
          kernel_shape: node.kernelSize,
          strides: node.strides,
          pads: onnxPads(node.padding, hw(node.input), node.kernelSize, node.strides),
          dilations: [1, 1],
          group: channels
        })
        return activate(b, { name: y, rank: 4 }, node.activation, node.name)
      }
      case 'leakyrelu':
        return { ...of(node.input), name: b.op('LeakyRelu', [of(node.input).name], node.name, { alpha: { float: node.alpha } }) }
      case 'zeropad': {
        const x = expectRank(node, of(node.input), 4)
        const [[top, bottom], [left, right]] = node.padding
        const pads = b.int64s(`${node.name}.pads`, [0, 0, top, left, 0, 0, bottom, right])
        // Pad's default mode is 'constant' with zeros.
        return { name: b.op('Pad', [x.name, pads], node.name), rank: 4 }
      }
      case 'dense':
        return activate(b, dense(b, node, of(node.input), w), node.activation, node.name)
      case 'batchnorm': {
        const x = of(node.input)
        // After a flatten, the per-feature statistics follow the CHW order too.
        const param = (leaf: string, as: string) => {
          const v = reorder(weight(`${node.name}/${leaf}`), x.order)
          return b.floats(`${node.name}.${as}`, [v.length], v)
        }
        const inputs = [
          x.name,
          param('gamma', 'weight'),
          param('beta', 'bias'),
          param('moving_mean', 'running_mean'),
          param('moving_variance', 'running_var')
        ]
        const y = b.op('BatchNormalization', inputs, node.name, { epsilon: { float: node.epsilon }, momentum: { float: node.momentum } })
        return { ...x, name: y }
      }
      case 'activation':
        return activate(b, of(node.input), node.fn, node.name)
      case 'maxpool':
      case 'avgpool': {
        const x = expectRank(node, of(node.input), 4)
        const attrs = {
          kernel_shape: node.poolSize,
          strides: node.strides,
          pads: onnxPads(node.padding, hw(node.input), node.poolSize, node.strides)
        }
        // TF averages 'same' windows over the real pixels only, as count_include_pad = 0 does.
        const y = b.op(
          node.kind === 'maxpool' ? 'MaxPool' : 'AveragePool',
          [x.name],
          node.name,
          node.kind === 'avgpool' ? { ...attrs, count_include_pad: 0 } : attrs
        )
        return { name: y, rank: 4 }
      }
      case 'gap': {
        const x = expectRank(node, of(node.input), 4)
        const pooled = b.op('GlobalAveragePool', [x.name], `${node.name}_pool`)
        return { name: b.op('Flatten', [pooled], node.name, { axis: 1 }), rank: 2 }
      }
      case 'flatten': {
        const x = of(node.input)
        if (x.rank === 2) return x
        const [h, width, c] = shapes.get(node.input)! as [number, number, number]
        // Channels of size-1 maps, or one channel, flatten the same in both layouts.
        const order = h * width === 1 || c === 1 ? undefined : chwFlattenOrder(h, width, c)
        return { name: b.op('Flatten', [x.name], node.name, { axis: 1 }), rank: 2, ...(order ? { order } : {}) }
      }
      case 'dropout':
        return of(node.input)
      case 'add':
      case 'multiply': {
        let xs = node.inputs.map(of)
        if (xs.some((x) => !sameOrder(x.order, xs[0]!.order))) xs = xs.map((x) => inEngineOrder(b, x, node.name))
        const op = node.kind === 'add' ? 'Add' : 'Mul'
        let sum = xs[0]!.name
        xs.slice(1).forEach((x, i) => (sum = b.op(op, [sum, x.name], i === xs.length - 2 ? node.name : `${node.name}_partial`)))
        return { ...xs[0]!, name: sum }
      }
      case 'concat': {
        // Channels are axis 1 in NCHW; vectors are joined in the engine's feature order.
        const xs = node.inputs.map((i) => inEngineOrder(b, of(i), `${node.name}_${i}_ordered`))
        return {
          name: b.op(
            'Concat',
            xs.map((x) => x.name),
            node.name,
            { axis: 1 }
          ),
          rank: xs[0]!.rank
        }
      }
    }
  }

  for (const node of graph.nodes) values.set(node.name, emit(node))
  const out = of(graph.output)
  if (out.rank !== 2) throw new Error(`The output layer "${graph.output}" is not [batch, classes]; ONNX export needs a classifier`)
  return inEngineOrder(b, out, `${graph.output}_ordered`)
}

function oihwDims(hwio: number[]): number[] {
  return [hwio[3]!, hwio[2]!, hwio[0]!, hwio[1]!]
}

function expectRank(node: GraphNode, x: Exported, rank: 2 | 4): Exported {
  if (x.rank !== rank) throw new Error(`Layer "${node.name}" (${node.kind}) needs a rank-${rank} input in ONNX export`)
  return x
}

/** A Gather that puts CHW-ordered features back in the engine's order, where no weight can absorb it. */
function inEngineOrder(b: OnnxGraphBuilder, x: Exported, hint: string): Exported {
  if (!x.order) return x
  const y = b.op('Gather', [x.name, b.int64s(`${hint}.indices`, inverseOrder(x.order))], hint, { axis: 1 })
  return { name: y, rank: 2 }
}

type DenseNode = GraphNode & { kind: 'dense' }

function dense(b: OnnxGraphBuilder, node: DenseNode, x: Exported, w: (n: string) => { values: Float32Array; shape: number[] }): Exported {
  const kernel = w(`${node.name}/kernel`)
  const bias = node.useBias ? w(`${node.name}/bias`).values : undefined
  if (x.rank === 2) {
    // Gemm with transB = 1 and an [out, in] weight, as torch.nn.Linear exports; a CHW order lands in its columns.
    const weightName = b.floats(
      `${node.name}.weight`,
      [node.units, kernel.shape[0]!],
      denseKernelToOutIn(kernel.values, kernel.shape, x.order)
    )
    const inputs = [x.name, weightName, ...(bias ? [b.floats(`${node.name}.bias`, [node.units], bias)] : [])]
    return { name: b.op('Gemm', inputs, node.name, { transB: 1 }), rank: 2 }
  }
  // Dense on a feature map acts on the channels of each pixel: move channels last, multiply, move back.
  const nhwc = b.op('Transpose', [x.name], `${node.name}_nhwc`, { perm: [0, 2, 3, 1] })
  let y = b.op('MatMul', [nhwc, b.floats(`${node.name}.weight`, kernel.shape, kernel.values)], `${node.name}_matmul`)
  if (bias) y = b.op('Add', [y, b.floats(`${node.name}.bias`, [node.units], bias)], `${node.name}_biased`)
  return { name: b.op('Transpose', [y], node.name, { perm: [0, 3, 1, 2] }), rank: 4 }
}

const UNARY: Partial<Record<Activation, string>> = { relu: 'Relu', sigmoid: 'Sigmoid', tanh: 'Tanh' }

function activate(b: OnnxGraphBuilder, x: Exported, fn: Activation, layer: string): Exported {
  if (fn === 'linear') return x
  const hint = `${layer}_${fn}`
  // ReLU6 is Clip(0, 6), its bounds as scalar inputs (opset 11 and later), as PyTorch writes it.
  if (fn === 'relu6') {
    const bounds = [b.floats(`${hint}.min`, [], Float32Array.of(0)), b.floats(`${hint}.max`, [], Float32Array.of(6))]
    return { ...x, name: b.op('Clip', [x.name, ...bounds], hint) }
  }
  // Softmax over all features is the same in any feature order; on a map, the channel axis is 1 in NCHW.
  if (fn === 'softmax') return { ...x, name: b.op('Softmax', [x.name], hint, { axis: x.rank === 4 ? 1 : -1 }) }
  return { ...x, name: b.op(UNARY[fn]!, [x.name], hint) }
}
