import { rmSync } from 'node:fs'
import { isAbsolute, relative, resolve } from 'node:path'
import type { DatasetSummary, ModelSummary } from '@shared/api/contract'
import { BUILTIN_DATASETS, findBuiltinDataset } from '@shared/datasets'
import type { AuditStore } from '../store/audit-store'
import { ImportError } from './model-bundle'

/** A built-in dataset in the library's terms, with what the store knows of it (hash, runs). */
function builtinSummary(store: AuditStore, id: string): DatasetSummary | null {
  const info = findBuiltinDataset(id)
  if (!info) return null
  const row = store.datasets.find(id)
  return {
    id: info.id,
    name: info.name,
    source: 'builtin',
    sha256: row?.sha256 ?? '',
    classNames: info.classNames,
    inputShape: info.inputShape,
    trainSize: info.trainSize,
    testSize: info.testSize,
    bytes: null,
    preprocessing: null,
    skipped: [],
    createdAt: row?.createdAt ?? 0,
    runs: row?.runs ?? 0,
    deletedAt: null
  }
}

/** Any dataset a task may name, built in or imported (deleted ones too, so old runs stay readable). */
export function datasetSummary(store: AuditStore, id: string): DatasetSummary | null {
  return builtinSummary(store, id) ?? store.datasets.find(id)
}

/** The dataset library: the built-in datasets first, then the imported ones, newest first. */
export function listDatasetLibrary(store: AuditStore): DatasetSummary[] {
  return [...BUILTIN_DATASETS.map((d) => builtinSummary(store, d.id)!), ...store.datasets.listLibrary()]
}

/** Removes files under the data folder only: a stored path must never point elsewhere. */
function removeUnder(dataDir: string, path: string): void {
  const target = resolve(dataDir, path)
  const rel = relative(dataDir, target)
  if (!rel || rel.startsWith('..') || isAbsolute(rel))
    throw new ImportError(`Refusing to delete ${target}: it is not inside the data folder`)
  rmSync(target, { recursive: true, force: true })
}

/**
 * Deletes an imported model from the library: its files go, its row stays stamped as deleted, so
 * runs that used it keep their results, its name and its hash.
 */
export function deleteModel(deps: { store: AuditStore; dataDir: string }, sha256: string): ModelSummary {
  const model = deps.store.models.find(sha256)
  if (!model || model.deletedAt) throw new ImportError(`No model ${sha256.slice(0, 12)}… in the library`)
  if (model.source !== 'imported')
    throw new ImportError('Only imported models can be deleted from the library; models trained by audits belong to their runs')
  removeUnder(deps.dataDir, model.path)
  deps.store.models.markDeleted(sha256)
  return deps.store.models.find(sha256)!
}

/** Deletes an imported dataset the same way: files gone, row kept for the runs that used it. */
export function deleteDataset(deps: { store: AuditStore; dataDir: string }, id: string): DatasetSummary {
  if (findBuiltinDataset(id)) throw new ImportError(`${id} is built in and cannot be deleted`)
  const dataset = deps.store.datasets.find(id)
  if (!dataset || dataset.deletedAt) throw new ImportError(`No dataset "${id}" in the library`)
  removeUnder(deps.dataDir, `datasets/${id}`)
  deps.store.datasets.markDeleted(id)
  return deps.store.datasets.find(id)!
}
