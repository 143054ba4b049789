import { describe, expect, it } from 'vitest'
import { buildArchitecture } from '@main/engine/model/architectures'
import { forwardFlopsPerSample, trainingFlopsPerSample } from '@main/engine/model/flops'

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

  it('count strided and 1x1 projection convolutions of resnet-mini at their output size', () => {
    const stem = 28 * 28 * 16 * 9
    const block1 = 2 * 28 * 28 * 16 * 9 * 16
    const block2 = 14 * 14 * 32 * 9 * 16 + 14 * 14 * 32 * 9 * 32 + 14 * 14 * 32 * 16
    const block3 = 7 * 7 * 64 * 9 * 32 + 7 * 7 * 64 * 9 * 64 + 7 * 7 * 64 * 32
    expect(forwardFlopsPerSample(buildArchitecture('resnet-mini', [28, 28, 1], 10))).toBe(2 * (stem + block1 + block2 + block3 + 64 * 10))
  })
})
