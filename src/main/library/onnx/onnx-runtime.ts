import * as ort from 'onnxruntime-node'
import { ImportError } from '../model-bundle'
import type { ConvertedOnnx } from './convert-onnx'

/** onnxruntime-node, as the import summary names it. */
export const RUNTIME_NAME = `onnxruntime-node ${ort.env.versions.node ?? ort.env.versions.common ?? ''}`.trim()

/**
 * The original ONNX model's outputs on `count` images (NCHW floats), by onnxruntime's CPU runtime:
 * the reference the converted model must match. A model that fixes its batch size is fed in
 * batches of that size. Returns [count, classes] floats.
 */
export async function runOnnxRuntime(
  bytes: Uint8Array,
  input: ConvertedOnnx['runtimeInput'],
  images: Float32Array,
  count: number,
  fileName: string
): Promise<Float32Array> {
  let session: ort.InferenceSession
  try {
    session = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'] })
  } catch (err) {
    throw new ImportError(`${fileName}: onnxruntime cannot load the model: ${(err as Error).message}`)
  }
  try {
    const perImage = input.dims.reduce((a, b) => a * b, 1)
    const batch = input.fixedBatch ?? count
    const parts: Float32Array[] = []
    for (let start = 0; start < count; start += batch) {
      const n = Math.min(batch, count - start)
      if (n < batch)
        throw new ImportError(`${fileName}: the model takes batches of exactly ${batch}; ${count} test images do not divide into them`)
      const feed = new ort.Tensor('float32', images.subarray(start * perImage, (start + n) * perImage), [n, ...input.dims])
      const results = await session.run({ [input.name]: feed })
      const out = results[session.outputNames[0]!]!
      if (out.type !== 'float32') throw new ImportError(`${fileName}: the output is of type ${out.type}; a classifier outputs float32`)
      parts.push(Float32Array.from(out.data as Float32Array))
    }
    const all = new Float32Array(parts.reduce((s, p) => s + p.length, 0))
    parts.reduce((offset, p) => (all.set(p, offset), offset + p.length), 0)
    return all
  } catch (err) {
    if (err instanceof ImportError) throw err
    throw new ImportError(`${fileName}: onnxruntime failed to run the model: ${(err as Error).message}`)
  } finally {
    await session.release()
  }
}
