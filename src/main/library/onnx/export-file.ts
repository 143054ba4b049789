import { createHash } from 'node:crypto'
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
// The model is read exactly as the engine reads it, through TensorFlow.js: the app reaches this in an
// engine process (the export-onnx job), the command line through a lazy import; never the app's main process.
// eslint-disable-next-line no-restricted-imports
import { loadModel } from '../../engine/model/model-files'
import { toOnnx } from './export-onnx'

export interface WrittenOnnx {
  file: string
  sha256: string
  bytes: number
}

/**
 * Reads a stored LayersModel folder the way the engine does and writes it as one ONNX file. Loads
 * TensorFlow.js (its pure-JS backend is enough to read weights), so callers import this module lazily.
 */
export async function writeOnnxFile(modelDir: string, dest: string, metadata: Record<string, string>): Promise<WrittenOnnx> {
  const { model } = await loadModel(modelDir)
  let bytes: Uint8Array
  try {
    bytes = toOnnx(model.graph, (name) => model.weights.get(name)!.dataSync() as Float32Array, metadata)
  } finally {
    model.dispose()
  }
  // Written beside and renamed, so a failed write never leaves a truncated .onnx behind.
  const tmp = `${dest}.partial-${process.pid}`
  try {
    mkdirSync(dirname(dest), { recursive: true })
    writeFileSync(tmp, bytes)
    renameSync(tmp, dest)
  } catch (err) {
    rmSync(tmp, { force: true })
    throw err
  }
  return { file: dest, sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length }
}
