import type { BundleImport, DatasetImport, DatasetImportOptions, LibraryProgress, ModelImport } from '@shared/api/contract'
import { importBundle } from '../audit/bundle/import-bundle'
import { inspectShards, mergeShards } from '../audit/bundle/merge-shards'
import type { EnginePool } from '../engine-host/pool'
import type { AuditStore } from '../store/audit-store'
import { importDataset } from './datasets/import-dataset'
import { deleteDataset, deleteModel, listDatasetLibrary } from './library'
import { ImportError } from './model-bundle'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import type { ShardsMerge } from '@shared/api/contract'
import { importModel } from './model-library'
import { UploadArea } from './uploads'

/** The folders under `path` (itself included) that hold a shard's results. */
function shardFolders(path: string): string[] {
  if (!statSync(path).isDirectory()) return []
  const here = existsSync(join(path, 'shard.json')) ? [path] : []
  return [...here, ...readdirSync(path).flatMap((n) => shardFolders(join(path, n)))]
}

/**
 * The model and dataset libraries as the renderer sees them: files arrive as uploads, are
 * imported with the same checks as the command line, and report each step as progress.
 */
export class LibraryService {
  private readonly uploads: UploadArea
  private readonly listeners: Array<(p: LibraryProgress) => void> = []

  constructor(
    private readonly store: AuditStore,
    private readonly engine: EnginePool,
    private readonly paths: { dataDir: string; resourcesDir: string }
  ) {
    this.uploads = new UploadArea(paths.dataDir)
  }

  onProgress(listener: (p: LibraryProgress) => void): () => void {
    this.listeners.push(listener)
    return () => this.listeners.splice(this.listeners.indexOf(listener), 1)
  }

  private emit(p: LibraryProgress): void {
    for (const l of this.listeners) l(p)
  }

  list() {
    return { models: this.store.models.listLibrary(), datasets: listDatasetLibrary(this.store) }
  }

  beginUpload(): string {
    return this.uploads.begin()
  }

  writeUpload(uploadId: string, path: string, base64: string, append: boolean): number {
    return this.uploads.write(uploadId, path, Buffer.from(base64, 'base64'), append)
  }

  discardUpload(uploadId: string): void {
    this.uploads.discard(uploadId)
  }

  /** Imports an uploaded model; the upload is removed once it is in the library. */
  async importModel(uploadId: string, datasetId: string, name: string | undefined): Promise<ModelImport> {
    const result = await importModel({ store: this.store, engine: this.engine, ...this.paths }, this.uploads.sources(uploadId), {
      datasetId,
      ...(name ? { name } : {}),
      onStep: (step) => this.emit({ uploadId, step, fraction: 0 })
    })
    this.uploads.discard(uploadId)
    return result
  }

  /**
   * Imports an uploaded dataset. A refusal keeps the upload, so the auditor can try again with
   * other options (skipping the unreadable files) without sending the files twice.
   */
  async importDataset(uploadId: string, options: DatasetImportOptions): Promise<DatasetImport> {
    const result = await importDataset({ store: this.store, dataDir: this.paths.dataDir }, this.uploads.sources(uploadId), {
      ...options,
      onProgress: (step, fraction) => this.emit({ uploadId, step, fraction })
    })
    this.uploads.discard(uploadId)
    return result
  }

  /** Imports an uploaded audit bundle (one .zip); the audit then shows read-only beside the others. */
  async importBundle(uploadId: string): Promise<BundleImport> {
    const files = this.uploads.sources(uploadId)
    if (files.length !== 1 || !/\.zip$/i.test(files[0]!)) throw new ImportError('An audit bundle is one .zip file; drop it alone')
    this.emit({ uploadId, step: 'checking', fraction: 0 })
    const result = await importBundle({ store: this.store, ...this.paths }, files[0]!)
    this.uploads.discard(uploadId)
    return result
  }

  /**
   * Merges dropped shard results (run-shard folders, each a shard.json and a bundle.zip) into one
   * audit once every shard of the plan is here; until then says which are here and which are missing.
   */
  async mergeShards(uploadId: string, appVersion: string): Promise<ShardsMerge> {
    const dirs = [...new Set(this.uploads.sources(uploadId).flatMap(shardFolders))]
    if (dirs.length === 0)
      throw new ImportError('No shard results were dropped: each shard folder holds the shard.json and bundle.zip run-shard writes')
    this.emit({ uploadId, step: 'checking', fraction: 0 })
    try {
      const found = inspectShards(dirs)
      const summary = { name: found.name, of: found.of, present: found.present, missing: found.missing }
      if (found.missing.length) return { ...summary, task: null, alreadyMerged: false }
      const merged = await mergeShards({ store: this.store, ...this.paths, appVersion }, dirs)
      return { ...summary, ...merged }
    } finally {
      this.uploads.discard(uploadId)
    }
  }

  deleteModel(sha256: string) {
    return deleteModel({ store: this.store, dataDir: this.paths.dataDir }, sha256)
  }

  deleteDataset(id: string) {
    return deleteDataset({ store: this.store, dataDir: this.paths.dataDir }, id)
  }
}
