import { createHash } from 'node:crypto'
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import type { EnginePool } from '../engine-host/pool'
import type { AuditStore } from '../store/audit-store'
import { measurementSpec } from './model-library'
import { ImportError } from './model-bundle'
import type { WrittenOnnx } from './onnx/export-file'

export const EXPORT_MANIFEST = 'export-manifest.json'

export type ExportFormat = 'tfjs' | 'onnx'

/** A destination ending in .onnx is one ONNX file; anything else is a TF.js LayersModel folder. */
export function exportFormatOf(dest: string): ExportFormat {
  return dest.toLowerCase().endsWith('.onnx') ? 'onnx' : 'tfjs'
}

function storedModel(store: AuditStore, dataDir: string, sha256: string) {
  const model = store.models.find(sha256)
  if (!model) throw new ImportError(`No model ${sha256.slice(0, 12)}… in the store`)
  const source = resolve(dataDir, model.path)
  if (!existsSync(source)) throw new ImportError(`The files of model ${sha256.slice(0, 12)}… are missing from ${source}`)
  return { model, source }
}

/**
 * Saves a model of the store (trained, unlearned or imported) as a TF.js LayersModel folder that
 * tf.loadLayersModel reads: model.json and its weights as stored, the Mnemonic codes as a sidecar
 * when the model has them, and a manifest with every file's sha256.
 */
export function exportModel(
  store: AuditStore,
  dataDir: string,
  sha256: string,
  dest: string
): { dir: string; files: Array<{ name: string; sha256: string; bytes: number }> } {
  const { model, source } = storedModel(store, dataDir, sha256)
  if (existsSync(dest) && readdirSync(dest).length > 0) throw new ImportError(`${dest} is not empty; export into a new or empty folder`)
  mkdirSync(dest, { recursive: true })
  const files = readdirSync(source, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(source.length + 1))
    .sort()
  const listed = files.map((name) => {
    const from = join(source, name)
    mkdirSync(join(dest, name, '..'), { recursive: true })
    copyFileSync(from, join(dest, name))
    return { name, sha256: createHash('sha256').update(readFileSync(from)).digest('hex'), bytes: statSync(from).size }
  })
  writeFileSync(
    join(dest, EXPORT_MANIFEST),
    JSON.stringify(
      {
        model: {
          sha256: model.sha256,
          name: model.name,
          source: model.source,
          datasetId: model.datasetId,
          parameterCount: model.parameterCount
        },
        files: listed,
        exportedAt: new Date().toISOString()
      },
      null,
      2
    )
  )
  return { dir: dest, files: listed }
}

/**
 * Saves a model of the store as one ONNX file (opset 13, NCHW input, weights inside), for PyTorch
 * and onnxruntime users. The model's sha256 and dataset go into the file's metadata.
 */
export async function exportModelOnnx(store: AuditStore, dataDir: string, sha256: string, file: string): Promise<WrittenOnnx> {
  const { model, source } = storedModel(store, dataDir, sha256)
  if (existsSync(file)) throw new ImportError(`${file} already exists; export to a new file`)
  // Loaded on demand: the conversion reads the model through TensorFlow.js, which nothing else here needs.
  const { writeOnnxFile } = await import('./onnx/export-file')
  return writeOnnxFile(source, file, {
    model_sha256: model.sha256,
    dataset: model.datasetId,
    ...(model.name ? { model_name: model.name } : {})
  })
}

/** Where the app writes a model's ONNX export: the data folder's exports, named by the model and its hash. */
export function onnxExportPathFor(dataDir: string, model: { sha256: string; name: string | null }): string {
  const stem = (model.name ?? 'model').replace(/[^A-Za-z0-9._-]+/g, '-').slice(0, 60) || 'model'
  return join(dataDir, 'exports', `${stem}-${model.sha256.slice(0, 12)}.onnx`)
}

/**
 * The app's ONNX export: an engine process reads the model and writes the file, so the main process
 * never loads TensorFlow.js. A model exported before is not written again (same model, same bytes).
 */
export async function exportModelOnnxInEngine(
  deps: { store: AuditStore; engine: EnginePool; paths: { dataDir: string; resourcesDir: string } },
  sha256: string
): Promise<WrittenOnnx> {
  const { model, source } = storedModel(deps.store, deps.paths.dataDir, sha256)
  const file = onnxExportPathFor(deps.paths.dataDir, model)
  if (existsSync(file)) {
    const bytes = readFileSync(file)
    return { file, sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length }
  }
  const result = await deps.engine.run({
    kind: 'export-onnx',
    resourcesDir: deps.paths.resourcesDir,
    dataDir: deps.paths.dataDir,
    spec: measurementSpec(model.datasetId),
    seed: 0,
    modelDir: source,
    outFile: file,
    metadata: { model_sha256: model.sha256, dataset: model.datasetId, ...(model.name ? { model_name: model.name } : {}) },
    outDir: dirname(file)
  })
  if (!result.exported) throw new ImportError(`The engine did not write ${file}`)
  return result.exported
}
