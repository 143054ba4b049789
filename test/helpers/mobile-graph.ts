import type { GraphNode, ModelGraph } from '@main/engine/model/graph'

/**
 * A small MobileNet-style graph with every layer kind ONNX's depthwise, Pad, ReLU6, LeakyRelu, Mul and
 * Concat map to: conv (ReLU6) → BN → zero pad → 'valid' depthwise (bias) → ReLU6 → LeakyReLU, times a
 * sigmoid gate; then (with `concat`) the gated map joined with the BN output; a stride-2 depthwise
 * without bias, BN, global pool and a dense head.
 */
export function mobileGraph(inputShape: number[], numClasses: number, concat = true): ModelGraph {
  const nodes: GraphNode[] = [
    { kind: 'input', name: 'input', shape: inputShape },
    {
      kind: 'conv2d',
      name: 'c1',
      input: 'input',
      filters: 8,
      kernelSize: [3, 3],
      strides: [1, 1],
      padding: 'same',
      useBias: true,
      activation: 'relu6'
    },
    { kind: 'batchnorm', name: 'bn1', input: 'c1', epsilon: 1e-3, momentum: 0.9 },
    {
      kind: 'zeropad',
      name: 'pad1',
      input: 'bn1',
      padding: [
        [1, 1],
        [2, 0]
      ]
    },
    {
      kind: 'depthwise',
      name: 'dw1',
      input: 'pad1',
      kernelSize: [3, 3],
      strides: [1, 1],
      padding: 'valid',
      useBias: true,
      activation: 'linear'
    },
    { kind: 'activation', name: 'r6', input: 'dw1', fn: 'relu6' },
    { kind: 'leakyrelu', name: 'leaky', input: 'r6', alpha: 0.1 },
    {
      kind: 'conv2d',
      name: 'gate',
      input: 'bn1',
      filters: 8,
      kernelSize: [1, 1],
      strides: [1, 1],
      padding: 'same',
      useBias: true,
      activation: 'sigmoid'
    },
    { kind: 'multiply', name: 'gated', inputs: ['leaky', 'gate'] },
    ...(concat ? [{ kind: 'concat', name: 'joined', inputs: ['gated', 'bn1'] } as GraphNode] : []),
    {
      kind: 'depthwise',
      name: 'dw2',
      input: concat ? 'joined' : 'gated',
      kernelSize: [3, 3],
      strides: [2, 2],
      padding: 'same',
      useBias: false,
      activation: 'linear'
    },
    { kind: 'batchnorm', name: 'bn2', input: 'dw2', epsilon: 1e-3, momentum: 0.9 },
    { kind: 'gap', name: 'pool', input: 'bn2' },
    { kind: 'dense', name: 'head', input: 'pool', units: numClasses, useBias: true, activation: 'linear' }
  ]
  return { arch: 'mobile-test', nodes, output: 'head', inputShape, numClasses }
}
