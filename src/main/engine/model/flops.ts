import { isTrainableWeight, type ModelGraph } from './graph'
import { inferShapes, weightShapes } from './shapes'

/**
 * Floating-point operations of one sample's forward pass through the conv (depthwise too) and dense layers (a
 * multiply-add counts 2), from the architecture alone. Normalisation, activations, pooling, padding,
 * concatenation and elementwise products are left out: they are memory-bound and under 2 % of the total for the built-in architectures. Half of
 * this is the multiply-accumulate count papers quote (ResNet-18 on CIFAR: 0.56 G).
 */
export function forwardFlopsPerSample(graph: ModelGraph): number {
  const shapes = inferShapes(graph)
  let flops = 0
  for (const node of graph.nodes) {
    if (node.kind === 'conv2d') {
      const inChannels = shapes.get(node.input)!.at(-1)!
      const [h, w, filters] = shapes.get(node.name)!
      flops += 2 * h! * w! * filters! * node.kernelSize[0] * node.kernelSize[1] * inChannels
    } else if (node.kind === 'depthwise') {
      // One kh×kw filter per channel: no sum over the input channels.
      const [h, w, channels] = shapes.get(node.name)!
      flops += 2 * h! * w! * channels! * node.kernelSize[0] * node.kernelSize[1]
    } else if (node.kind === 'dense') {
      flops += 2 * shapes.get(node.input)!.reduce((a, b) => a * b, 1) * node.units
    }
  }
  return flops
}

/**
 * One training step per sample: the forward pass, then the gradients with respect to the weights and
 * to each layer's input, each as costly as the forward pass. The first layer's input gradient is
 * never needed, as PyTorch's count also assumes.
 */
export function trainingFlopsPerSample(graph: ModelGraph): number {
  return 3 * forwardFlopsPerSample(graph)
}

/**
 * Weights of the architecture, from its shapes alone: `trainable` is what PyTorch's parameter count
 * covers (kernels, biases, batch norm's scale and shift); `total` adds batch norm's moving mean and
 * variance, which are saved with the model but not trained.
 */
export function parameterCounts(graph: ModelGraph): { trainable: number; total: number } {
  let trainable = 0
  let total = 0
  for (const [name, shape] of weightShapes(graph)) {
    const size = shape.reduce((a, b) => a * b, 1)
    total += size
    if (isTrainableWeight(name)) trainable += size
  }
  return { trainable, total }
}
