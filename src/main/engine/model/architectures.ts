import type { GraphNode, ModelGraph } from './graph'

export const ARCHITECTURES = ['mlp', 'cnn-small', 'resnet-mini'] as const
export type ArchitectureId = (typeof ARCHITECTURES)[number]

// Keras' default of 0.99 leaves a quarter of the initial statistics in place after a short
// CPU-sized training run; 0.9 tracks the data within a few dozen steps.
const BN_MOMENTUM = 0.9
const BN_EPSILON = 1e-3

class GraphBuilder {
  readonly nodes: GraphNode[] = []
  private last: string

  constructor(inputShape: number[]) {
    this.nodes.push({ kind: 'input', name: 'input', shape: inputShape })
    this.last = 'input'
  }

  get head(): string {
    return this.last
  }

  add(node: GraphNode): string {
    this.nodes.push(node)
    this.last = node.name
    return node.name
  }

  conv(name: string, filters: number, kernel: number, stride = 1, input = this.last): string {
    return this.add({
      kind: 'conv2d',
      name,
      input,
      filters,
      kernelSize: [kernel, kernel],
      strides: [stride, stride],
      padding: 'same',
      useBias: false,
      activation: 'linear'
    })
  }

  bn(name: string, input = this.last): string {
    return this.add({ kind: 'batchnorm', name, input, epsilon: BN_EPSILON, momentum: BN_MOMENTUM })
  }

  relu(name: string, input = this.last): string {
    return this.add({ kind: 'activation', name, input, fn: 'relu' })
  }

  dense(name: string, units: number, activation: 'relu' | 'linear', input = this.last): string {
    return this.add({ kind: 'dense', name, input, units, useBias: true, activation })
  }
}

function mlp(inputShape: number[], numClasses: number): ModelGraph {
  const b = new GraphBuilder(inputShape)
  if (inputShape.length > 1) b.add({ kind: 'flatten', name: 'flatten', input: 'input' })
  b.dense('dense1', 256, 'relu')
  b.dense('dense2', 128, 'relu')
  b.dense('logits', numClasses, 'linear')
  return { arch: 'mlp', nodes: b.nodes, output: 'logits', inputShape, numClasses }
}

function cnnSmall(inputShape: number[], numClasses: number): ModelGraph {
  const b = new GraphBuilder(inputShape)
  ;[16, 32].forEach((filters, i) => {
    b.conv(`conv${i + 1}`, filters, 3)
    b.bn(`bn${i + 1}`)
    b.relu(`relu${i + 1}`)
    b.add({ kind: 'maxpool', name: `pool${i + 1}`, input: b.head, poolSize: [2, 2], strides: [2, 2], padding: 'valid' })
  })
  b.add({ kind: 'flatten', name: 'flatten', input: b.head })
  b.dense('dense1', 64, 'relu')
  b.dense('logits', numClasses, 'linear')
  return { arch: 'cnn-small', nodes: b.nodes, output: 'logits', inputShape, numClasses }
}

/** A stem and three residual stages (16, 32/2, 64/2), global average pooling and a dense head. */
function resnetMini(inputShape: number[], numClasses: number): ModelGraph {
  const b = new GraphBuilder(inputShape)
  b.conv('stem_conv', 16, 3)
  b.bn('stem_bn')
  let x = b.relu('stem_relu')
  const stages: Array<[number, number]> = [
    [16, 1],
    [32, 2],
    [64, 2]
  ]
  stages.forEach(([filters, stride], i) => {
    const p = `block${i + 1}`
    const inFilters = i === 0 ? 16 : stages[i - 1]![0]
    b.conv(`${p}_conv1`, filters, 3, stride, x)
    b.bn(`${p}_bn1`)
    b.relu(`${p}_relu1`)
    b.conv(`${p}_conv2`, filters, 3)
    const main = b.bn(`${p}_bn2`)
    let shortcut = x
    if (stride !== 1 || inFilters !== filters) {
      b.conv(`${p}_proj`, filters, 1, stride, x)
      shortcut = b.bn(`${p}_proj_bn`)
    }
    b.add({ kind: 'add', name: `${p}_add`, inputs: [main, shortcut] })
    x = b.relu(`${p}_out`)
  })
  b.add({ kind: 'gap', name: 'gap', input: x })
  b.dense('logits', numClasses, 'linear')
  return { arch: 'resnet-mini', nodes: b.nodes, output: 'logits', inputShape, numClasses }
}

export function buildArchitecture(arch: ArchitectureId, inputShape: number[], numClasses: number): ModelGraph {
  switch (arch) {
    case 'mlp':
      return mlp(inputShape, numClasses)
    case 'cnn-small':
      return cnnSmall(inputShape, numClasses)
    case 'resnet-mini':
      return resnetMini(inputShape, numClasses)
  }
}
