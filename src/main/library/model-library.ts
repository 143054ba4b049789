import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { basename, dirname, join, relative } from 'node:path'
import type { ModelImport } from '@shared/api/contract'
import { JobTaskSchema, type JobTask } from '@shared/task-spec'
import { locateDataset } from '../engine/data/catalog'
import { EngineJobError } from '../engine-host/host'
import type { EnginePool } from '../engine-host/pool'
import type { AuditStore } from '../store/audit-store'
import { ImportError, onnxFileAmong, openModelBundle } from './model-bundle'
import { checkModelBundle } from './model-check'
import { CODES_FILE } from '../engine/model-folder'
import { importOnnxModel } from './onnx/import-onnx'

export type ImportStep = 'reading' | 'checking' | 'copying' | 'measuring'

// Within this many points of guessing, the labels or the preprocessing probably do not match.
const CHANCE_MARGIN = 0.05

/**
 * The spec of the measurement an imported model gets before anything else: its accuracy on the
 * dataset's whole test split. The engine only evaluates here; the training fields are unused
 * placeholders that the spec schema requires.
 */
export function measurementSpec(datasetId: string): JobTask {
  return JobTaskSchema.parse({
    dataset: { id: datasetId, trainLimit: 100 },
    model: { arch: 'mlp' },
    train: { epochs: 1, learningRate: 0.01 },
    task: { kind: 'random', fraction: 0.1 }
  })
}

/**
 * The Mnemonic codes that came with a model (as the app exports them): one code image per class,
 * of the dataset's input shape. They are what one-shot Mnemonic unlearning perturbs with.
 */
function checkCodesSidecar(bytes: Uint8Array | null, inputShape: number[], numClasses: number): Uint8Array | null {
  if (!bytes) return null
  let raw: { classes?: unknown; inputShape?: unknown; values?: unknown; tMix?: unknown }
  try {
    raw = JSON.parse(new TextDecoder().decode(bytes)) as typeof raw
  } catch (err) {
    throw new ImportError(`${CODES_FILE} is not valid JSON: ${(err as Error).message}`)
  }
  const shape = Array.isArray(raw.inputShape) ? raw.inputShape.map(Number) : []
  if (raw.classes !== numClasses)
    throw new ImportError(`${CODES_FILE}: codes for ${String(raw.classes)} classes, but the dataset has ${numClasses}`)
  if (shape.join('x') !== inputShape.join('x'))
    throw new ImportError(`${CODES_FILE}: codes of shape [${shape.join(', ')}], but the dataset's images are [${inputShape.join(', ')}]`)
  const size = numClasses * inputShape.reduce((a, b) => a * b, 1)
  if (!Array.isArray(raw.values) || raw.values.length !== size || !raw.values.every((v) => typeof v === 'number' && Number.isFinite(v))) {
    throw new ImportError(`${CODES_FILE}: expected ${size} finite code values`)
  }
  return bytes
}

/**
 * Imports a dropped TF.js LayersModel: checks the files, copies them byte for byte under their
 * sha256 into the data folder, and measures the model on the dataset's test split in the engine.
 * Any failure leaves the store and the data folder as they were; the dropped files are only read.
 * An .onnx file is converted into such a folder first (onnx/import-onnx.ts).
 */
export async function importModel(
  deps: { store: AuditStore; engine: EnginePool; dataDir: string; resourcesDir: string },
  sources: string[],
  opts: { datasetId: string; name?: string; onStep?: (step: ImportStep) => void }
): Promise<ModelImport> {
  const location = locateDataset(deps, opts.datasetId)
  if (!location) throw new ImportError(`Unknown dataset "${opts.datasetId}": import it first, or use a built-in dataset`)
  const dataset = location.info
  const onnxFile = onnxFileAmong(sources)
  if (onnxFile)
    return importOnnxModel(deps, onnxFile, opts, { dataset, measurementSpec: measurementSpec(dataset.id), importFolder: importModel })
  opts.onStep?.('reading')
  const bundle = openModelBundle(sources)
  opts.onStep?.('checking')
  const checked = checkModelBundle(bundle)
  const known = deps.store.models.find(checked.sha256)
  if (known && !known.deletedAt) return { model: known, alreadyImported: true, warning: null }

  const codes = checkCodesSidecar(bundle.readBeside(CODES_FILE), dataset.inputShape, dataset.classNames.length)

  opts.onStep?.('copying')
  const finalDir = join(deps.dataDir, 'models', 'imported', checked.sha256)
  const staging = `${finalDir}.partial`
  rmSync(staging, { recursive: true, force: true })
  try {
    mkdirSync(staging, { recursive: true })
    writeFileSync(join(staging, 'model.json'), checked.jsonBytes)
    if (codes) writeFileSync(join(staging, CODES_FILE), codes)
    for (const f of checked.weightFiles) {
      const file = join(staging, f.path)
      mkdirSync(dirname(file), { recursive: true })
      writeFileSync(file, f.bytes)
    }
    opts.onStep?.('measuring')
    const result = await deps.engine
      .run({
        kind: 'evaluate',
        resourcesDir: deps.resourcesDir,
        dataDir: deps.dataDir,
        spec: measurementSpec(dataset.id),
        seed: 0,
        modelDir: staging,
        originalDir: null,
        outDir: staging
      })
      .catch((err: Error) => {
        throw err instanceof EngineJobError ? new ImportError(`${basename(bundle.origin)}: ${err.message}`) : err
      })
    if (!result.model) throw new ImportError(`${basename(bundle.origin)}: ${result.failure ?? 'the model could not be measured'}`)
    const testAccuracy = typeof result.metrics.testAccuracy === 'number' ? result.metrics.testAccuracy : null
    if (existsSync(finalDir)) rmSync(finalDir, { recursive: true, force: true })
    renameSync(staging, finalDir)
    if (!location.imported)
      deps.store.datasets.upsert({
        id: dataset.id,
        name: dataset.name,
        source: 'builtin',
        sha256: result.dataset.sha256,
        numClasses: dataset.classNames.length,
        inputShape: dataset.inputShape
      })
    const model = deps.store.models.addImported({
      sha256: checked.sha256,
      name: opts.name ?? (basename(bundle.origin).replace(/\.(zip|json)$/i, '') || 'imported model'),
      arch: result.model.arch,
      path: relative(deps.dataDir, finalDir),
      bytes: checked.bytes,
      parameterCount: result.model.parameterCount,
      datasetId: dataset.id,
      inputShape: dataset.inputShape,
      numClasses: dataset.classNames.length,
      testAccuracy,
      codesSha256: codes ? createHash('sha256').update(codes).digest('hex') : null
    })
    const chance = 1 / dataset.classNames.length
    const warning =
      testAccuracy !== null && testAccuracy <= chance + CHANCE_MARGIN
        ? `Test accuracy ${(100 * testAccuracy).toFixed(1)} % is at the level of guessing (${(100 * chance).toFixed(0)} %): the labels or the preprocessing (scaling to [0,1], channel order) probably differ from what the model was trained with`
        : null
    return { model, alreadyImported: false, warning }
  } catch (err) {
    rmSync(staging, { recursive: true, force: true })
    throw err
  }
}
