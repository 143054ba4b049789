import { createHash } from 'node:crypto'
import { readFileSync, rmSync, statSync } from 'node:fs'
import { basename, join } from 'node:path'
import type { ModelImport } from '@shared/api/contract'
import type { DatasetInfo } from '@shared/datasets'
import type { JobTask } from '@shared/task-spec'
import { EngineJobError } from '../../engine-host/host'
import type { EnginePool } from '../../engine-host/pool'
import type { AuditStore } from '../../store/audit-store'
import { ImportError, MAX_WEIGHTS_FILE_BYTES } from '../model-bundle'
import type { ImportStep } from '../model-library'
import { convertOnnx } from './convert-onnx'
import { AGREEMENT_SAMPLES } from './output-agreement'

type ImportDeps = { store: AuditStore; engine: EnginePool; dataDir: string; resourcesDir: string }
type ImportOptions = { datasetId: string; name?: string; onStep?: (step: ImportStep) => void }

/** Reads a dropped .onnx file, refusing one larger than any weights file may be. */
export function readOnnxFile(file: string): Uint8Array {
  const info = statSync(file)
  if (!info.isFile()) throw new ImportError(`${file} is not a file`)
  if (info.size > MAX_WEIGHTS_FILE_BYTES)
    throw new ImportError(
      `${basename(file)} is ${(info.size / 1024 ** 2).toFixed(0)} MiB, more than the ${MAX_WEIGHTS_FILE_BYTES / 1024 ** 2} MiB a model file may have here`
    )
  return new Uint8Array(readFileSync(file))
}

/**
 * Imports a dropped .onnx file: it is checked and mapped here first (a refusal costs no engine
 * start), then the engine converts it into an ordinary model folder and compares the converted
 * model with onnxruntime on test images, where the work does not block the window. That folder is
 * then imported like a dropped LayersModel (`importFolder`: hashed, copied, measured, stored), and
 * removed whatever happens; nothing is stored unless all of it succeeds.
 */
export async function importOnnxModel(
  deps: ImportDeps,
  file: string,
  opts: ImportOptions,
  via: {
    dataset: DatasetInfo
    measurementSpec: JobTask
    importFolder: (deps: ImportDeps, sources: string[], opts: ImportOptions) => Promise<ModelImport>
  }
): Promise<ModelImport> {
  const fileName = basename(file)
  const dataset = via.dataset
  opts.onStep?.('reading')
  const bytes = readOnnxFile(file)
  const sha256 = createHash('sha256').update(bytes).digest('hex')
  // The same file imported for this dataset before: nothing to convert or compare again.
  const known = deps.store.models.fromOnnx(sha256, dataset.id)
  if (known) return { model: known, alreadyImported: true, warning: null }
  opts.onStep?.('checking')
  convertOnnx(bytes, fileName, { name: dataset.name, inputShape: dataset.inputShape, numClasses: dataset.classNames.length })
  const staging = join(deps.dataDir, 'models', 'imported', `${sha256}.onnx.partial`)
  // Named after the file, so what the folder import says about it names the file too.
  const converted = join(staging, fileName)
  rmSync(staging, { recursive: true, force: true })
  try {
    const result = await deps.engine
      .run({
        kind: 'convert-onnx',
        resourcesDir: deps.resourcesDir,
        dataDir: deps.dataDir,
        spec: via.measurementSpec,
        seed: 0,
        onnxPath: file,
        onnxSha256: sha256,
        samples: AGREEMENT_SAMPLES,
        outDir: converted
      })
      .catch((err: Error) => {
        if (!(err instanceof EngineJobError)) throw err
        throw new ImportError(err.message.startsWith(fileName) ? err.message : `${fileName}: ${err.message}`)
      })
    if (!result.onnxValidation) throw new ImportError(`${fileName}: the engine did not compare the converted model with onnxruntime`)
    const imported = await via.importFolder(deps, [converted], {
      ...opts,
      name: opts.name ?? (fileName.replace(/\.onnx$/i, '') || 'imported model'),
      // The folder's own reading and checking are part of this import's.
      onStep: (step) => (step === 'copying' || step === 'measuring' ? opts.onStep?.(step) : undefined)
    })
    deps.store.models.recordOnnxSource(sha256, dataset.id, imported.model.sha256)
    return { ...imported, validation: result.onnxValidation }
  } finally {
    rmSync(staging, { recursive: true, force: true })
  }
}
