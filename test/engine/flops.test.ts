import { describe, expect, it } from 'vitest'
import { buildArchitecture } from '@main/engine/model/architectures'
import { forwardFlopsPerSample, parameterCounts, trainingFlopsPerSample } from '@main/engine/model/flops'
import { mobileGraph } from '../helpers/mobile-graph'

describe('FLOPs per sample, counted from the architecture', () => {
  it('count every multiply-add of the dense layers of the mlp', () => {
    const macs = 784 * 256 + 256 * 128 + 128 * 10
    expect(forwardFlopsPerSample(buildArchitecture('mlp', [28, 28, 1], 10))).toBe(2 * macs)
  })

  it('count the convolutions of cnn-small at their output sizes (same padding, pooled by 2)', () => {
    const conv1 = 28 * 28 * 16 * 9 * 1
    const conv2 = 14 * 14 * 32 * 9 * 16
    const dense = 7 * 7 * 32 * 64 + 64 * 10
    const graph = buildArchitecture('cnn-small', [28, 28, 1], 10)
    expect(forwardFlopsPerSample(graph)).toBe(2 * (conv1 + conv2 + dense))
    expect(trainingFlopsPerSample(graph)).toBe(6 * (conv1 + conv2 + dense))
  })

  it('count a depthwise conv as one k×k filter per channel, with no sum over the channels', () => {
    const c1 = 28 * 28 * 8 * 9
    const dw1 = 28 * 28 * 8 * 9 // zero padding (1, 1) rows and (2, 0) columns, then a 'valid' 3×3
    const gate = 28 * 28 * 8 * 8
    const dw2 = 14 * 14 * 16 * 9 // stride 2 over the 16 concatenated channels
    const graph = mobileGraph([28, 28, 1], 10)
    expect(forwardFlopsPerSample(graph)).toBe(2 * (c1 + dw1 + gate + dw2 + 16 * 10))
    // Depthwise kernels [3, 3, C, 1] (+ dw1's bias); the two batch norms keep 2 of their 4 numbers out of training.
    const trainable = 9 * 8 + 8 + (9 * 8 + 8) + (8 * 8 + 8) + 9 * 16 + 2 * (8 + 16) + (16 * 10 + 10)
    expect(parameterCounts(graph)).toEqual({ trainable, total: trainable + 2 * (8 + 16) })
  })

  it('count strided and 1x1 projection convolutions of resnet-mini at their output size', () => {
    const stem = 28 * 28 * 16 * 9
    const block1 = 2 * 28 * 28 * 16 * 9 * 16
    const block2 = 14 * 14 * 32 * 9 * 16 + 14 * 14 * 32 * 9 * 32 + 14 * 14 * 32 * 16
    const block3 = 7 * 7 * 64 * 9 * 32 + 7 * 7 * 64 * 9 * 64 + 7 * 7 * 64 * 32
    expect(forwardFlopsPerSample(buildArchitecture('resnet-mini', [28, 28, 1], 10))).toBe(2 * (stem + block1 + block2 + block3 + 64 * 10))
  })

  // CIFAR's 32×32×3, width 1. A 3×3 conv from c to k channels at an h×w output costs h·w·k·9·c
  // multiply-adds and has 9·c·k weights (no bias: batch norm follows); every batch norm trains 2
  // numbers per channel and keeps 2 more (its moving mean and variance).
  it('count ResNet-18 (CIFAR variant) as published: 0.56 G multiply-adds, 11,173,962 parameters', () => {
    const conv3 = (side: number, cin: number, cout: number) => side * side * cout * 9 * cin
    const stem = conv3(32, 3, 64)
    const stage1 = 4 * conv3(32, 64, 64)
    // The first conv of stages 2-4 halves the side and doubles the channels; a 1×1 projection does the same on the shortcut.
    const stage = (side: number, k: number) => conv3(side, k / 2, k) + 3 * conv3(side, k, k) + side * side * k * (k / 2)
    const macs = stem + stage1 + stage(16, 128) + stage(8, 256) + stage(4, 512) + 512 * 10
    expect(macs).toBe(555_422_720)
    const graph = buildArchitecture('resnet-18', [32, 32, 3], 10)
    expect(forwardFlopsPerSample(graph)).toBe(2 * macs)

    const kernels = (cin: number, cout: number) => 9 * cin * cout
    const stageWeights = (k: number) => kernels(k / 2, k) + 3 * kernels(k, k) + (k / 2) * k
    const convWeights = kernels(3, 64) + 4 * kernels(64, 64) + stageWeights(128) + stageWeights(256) + stageWeights(512)
    // Batch-norm channels: the stem, four per stage, and the three projections.
    const bnChannels = 64 + 4 * (64 + 128 + 256 + 512) + (128 + 256 + 512)
    const trainable = convWeights + 2 * bnChannels + 512 * 10 + 10
    expect(trainable).toBe(11_173_962)
    expect(parameterCounts(graph)).toEqual({ trainable, total: trainable + 2 * bnChannels })
  })

  it('count ResNet-9 (DAWNBench): five of its eight convolutions cost the same 75.5 M multiply-adds; 6,573,130 parameters', () => {
    const conv3 = (side: number, cin: number, cout: number) => side * side * cout * 9 * cin
    // Each pool follows its layer's first conv, so that conv runs at the side before pooling.
    const convs = [
      conv3(32, 3, 64),
      conv3(32, 64, 128),
      2 * conv3(16, 128, 128),
      conv3(16, 128, 256),
      conv3(8, 256, 512),
      2 * conv3(4, 512, 512)
    ]
    expect(convs.slice(1)).toEqual([75_497_472, 2 * 37_748_736, 75_497_472, 75_497_472, 2 * 37_748_736])
    const macs = convs.reduce((a, b) => a + b) + 512 * 10
    const graph = buildArchitecture('resnet-9', [32, 32, 3], 10)
    expect(forwardFlopsPerSample(graph)).toBe(2 * macs)
    const bnChannels = 64 + 128 + 2 * 128 + 256 + 512 + 2 * 512
    const convWeights = 9 * (3 * 64 + 64 * 128 + 2 * 128 * 128 + 128 * 256 + 256 * 512 + 2 * 512 * 512)
    const trainable = convWeights + 2 * bnChannels + 512 * 10 + 10
    expect(trainable).toBe(6_573_130)
    expect(parameterCounts(graph)).toEqual({ trainable, total: trainable + 2 * bnChannels })
  })

  it('scale every channel count by the width: a quarter of the channels is about a sixteenth of the work', () => {
    const conv3 = (side: number, cin: number, cout: number) => side * side * cout * 9 * cin
    const stage = (side: number, k: number) => conv3(side, k / 2, k) + 3 * conv3(side, k, k) + side * side * k * (k / 2)
    // 16/32/64/128 channels; the input's 3 channels and the 10 classes do not scale.
    const macs = conv3(32, 3, 16) + 4 * conv3(32, 16, 16) + stage(16, 32) + stage(8, 64) + stage(4, 128) + 128 * 10
    const quarter = buildArchitecture('resnet-18', [32, 32, 3], 10, { width: 0.25 })
    expect(forwardFlopsPerSample(quarter)).toBe(2 * macs)
    expect(macs / 555_422_720).toBeCloseTo(1 / 16, 2)
    expect(parameterCounts(quarter).trainable).toBe(701_466)
    // Rounded to whole channels and never below one.
    const tiny = buildArchitecture('resnet-9', [32, 32, 3], 10, { width: 0.001 })
    for (const node of tiny.nodes) if (node.kind === 'conv2d') expect(node.filters).toBe(1)
    expect(
      buildArchitecture('cnn-small', [28, 28, 1], 10, { width: 0.3 }).nodes.flatMap((n) => (n.kind === 'conv2d' ? [n.filters] : []))
    ).toEqual([5, 10])
  })
})
