import type { Padding } from '../../engine/model/graph'

/**
 * TF's 'same' padding along one axis: the output is ceil(size / stride), and when the total padding
 * is odd the extra row goes at the end (ONNX's SAME_UPPER does the same, but explicit pads also
 * hold for importers that read only `pads`).
 */
export function samePadding(size: number, kernel: number, stride: number): [number, number] {
  const out = Math.ceil(size / stride)
  const total = Math.max((out - 1) * stride + kernel - size, 0)
  const before = Math.floor(total / 2)
  return [before, total - before]
}

/** ONNX `pads` for a 2-D window over an [h, w] input: [top, left, bottom, right]. */
export function onnxPads(padding: Padding, inputHw: [number, number], kernel: [number, number], strides: [number, number]): number[] {
  if (padding === 'valid') return [0, 0, 0, 0]
  const [top, bottom] = samePadding(inputHw[0], kernel[0], strides[0])
  const [left, right] = samePadding(inputHw[1], kernel[1], strides[1])
  return [top, left, bottom, right]
}
