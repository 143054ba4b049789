import { defineStore } from 'pinia'
import { inject, ref } from 'vue'
import {
  type BundleImport,
  type DatasetImport,
  type DatasetImportOptions,
  type DatasetSummary,
  type ModelImport,
  type ModelSummary,
  type ShardsMerge,
  UPLOAD_CHUNK_BYTES
} from '@shared/api/contract'
import { API_CLIENT } from '../api/inject'

/** A dropped or picked file with its path inside what was dropped ("folder/sub/file.png"). */
export interface DroppedFile {
  path: string
  file: File
}

export type DropKind = 'model' | 'dataset' | 'bundle' | 'shards'

/**
 * An exported audit bundle is one *.audit-bundle.zip; a drop is a model when it holds a model.json
 * or another .zip; anything else is taken for a dataset. The panel lets the auditor correct it.
 */
export function guessKind(files: DroppedFile[]): DropKind {
  if (files.length === 1 && /\.audit-bundle\.zip$/i.test(files[0]!.path)) return 'bundle'
  if (files.some((f) => isShardFile(f.path))) return 'shards'
  return files.some((f) => /(^|\/)model\.json$/i.test(f.path) || /\.(zip|onnx)$/i.test(f.path)) ? 'model' : 'dataset'
}

/** What a shard's results folder (from run-shard) holds that a merge reads: its shard file and its bundle. */
const isShardFile = (path: string) => /(^|\/)shard\.json$/i.test(path)
const isShardResult = (path: string) => isShardFile(path) || /(^|\/)bundle\.zip$/i.test(path)

function toBase64(bytes: Uint8Array): string {
  let text = ''
  // In slices: String.fromCharCode takes its arguments on the stack.
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  return btoa(text)
}

/** The model and dataset libraries, and the import of what the auditor drops on the window. */
export const useLibraryStore = defineStore('library', () => {
  const api = inject(API_CLIENT)!
  const models = ref<ModelSummary[]>([])
  const datasets = ref<DatasetSummary[]>([])
  /** The current import: its files, what it is, where it stands, and how it ended. */
  const pending = ref<{ files: DroppedFile[]; kind: DropKind; bytes: number } | null>(null)
  const step = ref<{ label: string; fraction: number } | null>(null)
  const uploadId = ref<string | null>(null)
  const modelResult = ref<ModelImport | null>(null)
  const datasetResult = ref<DatasetImport | null>(null)
  const bundleResult = ref<BundleImport | null>(null)
  const shardsResult = ref<ShardsMerge | null>(null)
  const error = ref<string | null>(null)

  async function load(): Promise<void> {
    const lib = await api.call('library:list', {})
    models.value = lib.models
    datasets.value = lib.datasets
  }

  function init(): void {
    api.on('library:progress', (p) => {
      if (p.uploadId === uploadId.value) step.value = { label: p.step, fraction: p.fraction }
    })
    void load()
  }

  function drop(files: DroppedFile[]): void {
    if (!files.length) return
    void discard()
    modelResult.value = null
    datasetResult.value = null
    bundleResult.value = null
    error.value = null
    const kind = guessKind(files)
    // Shard folders also hold their database and models: only the shard file and the bundle travel.
    const sent = kind === 'shards' ? files.filter((f) => isShardResult(f.path)) : files
    pending.value = { files: sent, kind, bytes: sent.reduce((n, f) => n + f.file.size, 0) }
  }

  /** Sends the files in chunks, reporting the copy as the first step of the import. */
  async function upload(): Promise<string> {
    if (uploadId.value) return uploadId.value
    const files = pending.value!.files
    const total = Math.max(pending.value!.bytes, 1)
    const { uploadId: id } = await api.call('uploads:begin', {})
    let sent = 0
    for (const f of files) {
      const bytes = new Uint8Array(await f.file.arrayBuffer())
      for (let offset = 0; offset === 0 || offset < bytes.length; offset += UPLOAD_CHUNK_BYTES) {
        const chunk = bytes.subarray(offset, offset + UPLOAD_CHUNK_BYTES)
        await api.call('uploads:write', { uploadId: id, path: f.path, base64: toBase64(chunk), append: offset > 0 })
        sent += chunk.length
        step.value = { label: 'copying', fraction: sent / total }
      }
    }
    uploadId.value = id
    return id
  }

  async function run<T>(work: (id: string) => Promise<T>): Promise<T | undefined> {
    error.value = null
    try {
      const result = await work(await upload())
      await load()
      return result
    } catch (err) {
      error.value = (err as Error).message
      return undefined
    } finally {
      step.value = null
    }
  }

  async function importModel(datasetId: string, name?: string): Promise<void> {
    const result = await run((id) => api.call('models:import', { uploadId: id, datasetId, ...(name ? { name } : {}) }))
    if (result) {
      modelResult.value = result
      finish()
    }
  }

  async function importDataset(options: DatasetImportOptions): Promise<void> {
    const result = await run((id) => api.call('datasets:import', { uploadId: id, options }))
    if (result) {
      datasetResult.value = result
      finish()
    }
  }

  async function importBundle(): Promise<void> {
    const result = await run((id) => api.call('bundles:import', { uploadId: id }))
    if (result) {
      bundleResult.value = result
      finish()
    }
  }

  async function mergeShards(): Promise<void> {
    const result = await run((id) => api.call('shards:merge', { uploadId: id }))
    if (result) {
      shardsResult.value = result
      finish()
    }
  }

  /** The server removes a finished upload itself; only the local state goes. */
  function finish(): void {
    uploadId.value = null
    pending.value = null
  }

  async function discard(): Promise<void> {
    const id = uploadId.value
    finish()
    error.value = null
    if (id) await api.call('uploads:discard', { uploadId: id })
  }

  function dismiss(): void {
    modelResult.value = null
    datasetResult.value = null
    bundleResult.value = null
    shardsResult.value = null
    error.value = null
  }

  /** A library change, then the lists again; a refusal is shown, never thrown. */
  async function change(work: () => Promise<unknown>): Promise<void> {
    error.value = null
    try {
      await work()
      await load()
    } catch (err) {
      error.value = (err as Error).message
    }
  }

  const removeModel = (sha256: string) => change(() => api.call('models:delete', { sha256 }))
  const removeDataset = (id: string) => change(() => api.call('datasets:delete', { id }))

  return {
    models,
    datasets,
    pending,
    step,
    modelResult,
    datasetResult,
    bundleResult,
    shardsResult,
    error,
    init,
    load,
    drop,
    importModel,
    importDataset,
    importBundle,
    mergeShards,
    discard,
    dismiss,
    removeModel,
    removeDataset
  }
})
