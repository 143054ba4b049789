import { ImportError } from '../model-bundle'
import type { OnnxGraph } from './read-onnx-graph'

/** The dataset an ONNX model is imported for: its images are [H, W, C], as the engine holds them. */
export interface OnnxTarget {
  name: string
  inputShape: number[]
  numClasses: number
}

/** How the model's input relates to the dataset's images. */
export interface InputLayout {
  /** ONNX's input shape without the batch: [C, H, W], or [C·H·W] for a model that takes flattened images. */
  dims: number[]
  /** The batch size the input fixes (an exporter's default of 1), or null when it is free. */
  fixedBatch: number | null
}

const chwText = (c: number, h: number, w: number) => `${c}×${h}×${w}`

/** Checks the model reads the dataset's images (NCHW, or flattened in C, H, W order); names both shapes when not. */
export function checkOnnxInput(input: OnnxGraph['input'], target: OnnxTarget, fileName: string): InputLayout {
  const [h, w, c] = target.inputShape as [number, number, number]
  const dims = input.dims
  const batch = dims[0]
  if (batch !== null && batch !== undefined && batch < 1) throw new ImportError(`${fileName}: the input's batch dimension is ${batch}`)
  const fixedBatch = batch ?? null
  if (dims.length === 4) {
    // A free (named) image dimension takes the dataset's size.
    const [mc, mh, mw] = [dims[1] ?? c, dims[2] ?? h, dims[3] ?? w]
    if (mc !== c || mh !== h || mw !== w)
      throw new ImportError(
        `${fileName}: the model takes inputs of ${chwText(mc, mh, mw)} (C×H×W), but ${target.name} images are ${chwText(c, h, w)}`
      )
    return { dims: [c, h, w], fixedBatch }
  }
  if (dims.length === 2) {
    const size = dims[1] ?? c * h * w
    if (size !== c * h * w)
      throw new ImportError(
        `${fileName}: the model takes vectors of ${size} values, but ${target.name} images are ${chwText(c, h, w)} (${c * h * w} values)`
      )
    return { dims: [size], fixedBatch }
  }
  const shape = dims.map((d) => d ?? '?').join(', ')
  throw new ImportError(`${fileName}: the model's input has shape [${shape}]; an image classifier takes [N, C, H, W] (or [N, C·H·W])`)
}
