import type { ModelGraph } from './graph'
import { inferShapes } from './shapes'

/**
 * Floating-point operations of one sample's forward pass through the conv and dense layers (a
 * multiply-add counts 2), from the architecture alone. Normalisation, activations and pooling are
 * left out: they are memory-bound and under 2 % of the total for the built-in architectures.
 */
export function forwardFlopsPerSample(graph: ModelGraph): number {
  const shapes = inferShapes(graph)
  let flops = 0
  for (const node of graph.nodes) {
    if (node.kind === 'conv2d') {
      const inChannels = shapes.get(node.input)!.at(-1)!
      const [h, w, filters] = shapes.get(node.name)!
      flops += 2 * h! * w! * filters! * node.kernelSize[0] * node.kernelSize[1] * inChannels
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
