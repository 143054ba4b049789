import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { METHOD_CATALOG, requiresMnemonicCodes } from '@shared/methods'
import { SpecError, type TaskSpec } from '@shared/task-spec'
import { type DatasetLocation, locateDataset } from '../engine/data/catalog'
import type { EnginePool } from '../engine-host/pool'
import { ImportError, onnxFileAmong, openModelBundle } from '../library/model-bundle'
import { readOnnxFile } from '../library/onnx/import-onnx'
import { checkModelBundle } from '../library/model-check'
import { importModel } from '../library/model-library'
import type { AuditStore } from '../store/audit-store'

/** What an audit's inputs are checked against: the library, the engine that measures imports, the folders. */
export interface AuditInputDeps {
  store: AuditStore
  engine: EnginePool
  paths: { resourcesDir: string; dataDir: string }
}

/** A given original model's folder, and whether it is measured as it is or fine-tuned with codes first. */
export interface GivenOriginal {
  dir: string
  use: 'measure' | 'fine-tune'
}

/**
 * A spec whose model is a `path` names it by sha256 instead, so equal models give equal specs:
 * a model already in the library is looked up by its checked files; a new one is imported
 * (when `importIfNew`), with the same checks as a drop on the window.
 */
export async function resolveModelPath(deps: AuditInputDeps, rawSpec: unknown, opts: { importIfNew: boolean }): Promise<unknown> {
  const model = (rawSpec as { model?: { path?: unknown } } | null)?.model
  if (!model || typeof model.path !== 'string') return rawSpec
  const datasetId = String((rawSpec as { dataset?: { id?: unknown } }).dataset?.id ?? '')
  let sha256: string
  try {
    // An .onnx file's stored sha256 is its converted model's: found by the file's own hash once it was imported.
    const onnx = onnxFileAmong([model.path])
    if (onnx) {
      const known = deps.store.models.fromOnnx(createHash('sha256').update(readOnnxFile(onnx)).digest('hex'), datasetId)
      if (!known && !opts.importIfNew) return rawSpec
      sha256 = known?.sha256 ?? (await importModel({ ...deps, ...deps.paths }, [model.path], { datasetId })).model.sha256
      return { ...(rawSpec as Record<string, unknown>), model: { sha256 } }
    }
    sha256 = checkModelBundle(openModelBundle([model.path])).sha256
    if (!deps.store.models.find(sha256)) {
      if (!opts.importIfNew) return rawSpec
      sha256 = (await importModel({ ...deps, ...deps.paths }, [model.path], { datasetId })).model.sha256
    }
  } catch (err) {
    throw err instanceof ImportError ? new SpecError(`model.path: ${err.message}`) : err
  }
  return { ...(rawSpec as Record<string, unknown>), model: { sha256 } }
}

/** The task's dataset, built in or imported (and not deleted from the library). */
export function datasetOf(deps: Pick<AuditInputDeps, 'paths'>, spec: TaskSpec): DatasetLocation {
  const location = locateDataset(deps.paths, spec.dataset.id)
  if (!location)
    throw new SpecError(`dataset.id: unknown dataset "${spec.dataset.id}"; import it first, or use one of the built-in datasets`)
  return location
}

/**
 * Where a given original comes from, or null when the audit trains its own; checks the model
 * exists and fits. It is measured as it is, or, when the task asks for Mnemonic codes and the
 * model has none, fine-tuned with codes mixed in first.
 */
export function givenOriginal(deps: Pick<AuditInputDeps, 'store' | 'paths'>, spec: TaskSpec): GivenOriginal | null {
  if (!('sha256' in spec.model)) return null
  // A corruption is built into how the original is trained; a model trained elsewhere never saw ours.
  if (spec.task.kind === 'corrupted')
    throw new SpecError(
      'task.kind: corrupted tasks train their own original on the corrupted data; with a given model, forget random samples or classes'
    )
  const model = deps.store.models.find(spec.model.sha256)
  if (!model) throw new SpecError(`model.sha256: no model ${spec.model.sha256.slice(0, 12)}… in the library; import it first`)
  if (model.datasetId !== spec.dataset.id)
    throw new SpecError(`model.sha256: the model was imported for ${model.datasetId}, but the task uses ${spec.dataset.id}`)
  const dir = resolve(deps.paths.dataDir, model.path)
  if (!existsSync(dir)) throw new SpecError(`model.sha256: the files of model ${spec.model.sha256.slice(0, 12)}… are missing from ${dir}`)
  const hasCodes = model.codesSha256 !== null
  const needsCodes = spec.methods.find((m) => requiresMnemonicCodes(m.id))
  if (needsCodes && !hasCodes && !spec.train.mnemonicCodes) {
    throw new SpecError(
      `methods: ${METHOD_CATALOG[needsCodes.id].label} needs a model trained with mnemonic codes, and this model has none: set train.mnemonicCodes to fine-tune it with codes first (for train.epochs epochs)`
    )
  }
  return { dir, use: spec.train.mnemonicCodes && !hasCodes ? 'fine-tune' : 'measure' }
}
