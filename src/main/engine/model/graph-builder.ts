import type { GraphNode } from './graph'

// Keras' default of 0.99 leaves a quarter of the initial statistics in place after a short
// CPU-sized training run; 0.9 tracks the data within a few dozen steps.
const BN_MOMENTUM = 0.9
const BN_EPSILON = 1e-3

/** Appends layer nodes in order; each method reads the last node unless given another input. */
export class GraphBuilder {
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

  /** `${p}_conv`, `${p}_bn`, `${p}_relu`: a 3×3 convolution without bias, batch norm and ReLU. */
  convBnRelu(p: string, filters: number, stride = 1, input = this.last): string {
    this.conv(`${p}_conv`, filters, 3, stride, input)
    this.bn(`${p}_bn`)
    return this.relu(`${p}_relu`)
  }

  /** A window moved by its own size (`[h, w]`, or a square side); what is left at an edge is dropped. */
  maxpool(name: string, size: number | [number, number], input = this.last): string {
    const window: [number, number] = typeof size === 'number' ? [size, size] : size
    return this.add({ kind: 'maxpool', name, input, poolSize: window, strides: window, padding: 'valid' })
  }

  sum(name: string, inputs: string[]): string {
    return this.add({ kind: 'add', name, inputs })
  }

  dense(name: string, units: number, activation: 'relu' | 'linear', input = this.last): string {
    return this.add({ kind: 'dense', name, input, units, useBias: true, activation })
  }
}

/** A channel or unit count scaled by `width`: rounded, never below one. */
export const scaled = (count: number, width: number): number => Math.max(1, Math.round(count * width))
