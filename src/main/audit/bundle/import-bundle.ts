import type { z } from 'zod'
import { createHash } from 'node:crypto'
import { closeSync, openSync, readSync, statSync } from 'node:fs'
import { mkdir, rename, rm, writeFile } from 'node:fs/promises'
import { basename, join, posix } from 'node:path'
import type { BundleImport } from '@shared/api/contract'
import { describeZodError } from '@shared/zod-errors'
import { findBuiltinDataset } from '@shared/datasets'
import { requireDataset } from '@main/engine/data/catalog'
import { sha256OfIndices } from '@main/engine/data/splits'
import { hashDataset } from '../dataset-hash'
import { unzipCapped } from '@main/library/capped-unzip'
import { ImportError, MAX_MODEL_JSON_BYTES, MAX_WEIGHTS_FILE_BYTES, openModelBundle, safeRelativePath } from '@main/library/model-bundle'
import { checkModelBundle } from '@main/library/model-check'
import { codesFileSha256 } from '@main/engine/model-folder'
import { contentHash, reportManifest } from '@main/reports/manifest'
import type { AuditStore } from '@main/store/audit-store'
import { BUNDLE_FILES, BUNDLE_MANIFEST, BundleAudit, BundleManifest, MODELS_DIR } from './format'

// Past this, packed or unpacked, an archive is not a bundle this app wrote for one audit.
const MAX_BUNDLE_BYTES = 2 * 1024 ** 3

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex')
const mib = (bytes: number) => `${(bytes / 1024 ** 2).toFixed(0)} MiB`

/** The zip's sha256, read a piece at a time: the bundle is never held whole. */
function fileSha256(file: string): string {
  const hash = createHash('sha256')
  const fd = openSync(file, 'r')
  try {
    const chunk = Buffer.alloc(1024 ** 2)
    for (let n; (n = readSync(fd, chunk)) > 0;) hash.update(chunk.subarray(0, n))
  } finally {
    closeSync(fd)
  }
  return hash.digest('hex')
}

function parseJson<S extends z.ZodType>(bytes: Uint8Array | undefined, name: string, schema: S): z.output<S> {
  if (!bytes) throw new ImportError(`the bundle has no ${name}`)
  let raw: unknown
  try {
    raw = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes))
  } catch (err) {
    throw new ImportError(`${name} in the bundle is not valid JSON: ${(err as Error).message}`)
  }
  const parsed = schema.safeParse(raw)
  if (!parsed.success) throw new ImportError(`${name} in the bundle is not one this app reads: ${describeZodError(parsed.error)}`)
  return parsed.data
}

/** The zip's files, each checked against the sha256 bundle.json lists for it. */
function readEntries(file: string): { manifest: BundleManifest; entries: Record<string, Uint8Array>; bundleSha256: string } {
  if (statSync(file).size > MAX_BUNDLE_BYTES)
    throw new ImportError(`${basename(file)} is larger than 2 GiB; an audit bundle is far smaller`)
  let entries: Record<string, Uint8Array>
  try {
    entries = unzipCapped(file, {
      // A model's files get the caps of a dropped model; the audit's own files share the bundle's.
      entry: (name) =>
        !name.startsWith(`${MODELS_DIR}/`)
          ? MAX_BUNDLE_BYTES
          : name.endsWith('/model.json')
            ? MAX_MODEL_JSON_BYTES
            : MAX_WEIGHTS_FILE_BYTES,
      total: MAX_BUNDLE_BYTES,
      refuse: (name, bytes, cap) =>
        new ImportError(
          name === null
            ? `${basename(file)} unpacks to more than 2 GiB; an audit bundle is far smaller`
            : `${name} in the bundle is ${mib(bytes)}, more than the ${mib(cap)} a bundle's file may have here`
        )
    })
  } catch (err) {
    if (err instanceof ImportError) throw err
    throw new ImportError(`${basename(file)} is not a readable .zip: ${(err as Error).message}`)
  }
  for (const name of Object.keys(entries)) safeRelativePath(name, basename(file))
  if (!entries[BUNDLE_MANIFEST]) throw new ImportError(`${basename(file)} is not an audit bundle: it has no ${BUNDLE_MANIFEST}`)
  const manifest = parseJson(entries[BUNDLE_MANIFEST], BUNDLE_MANIFEST, BundleManifest)
  for (const f of manifest.files) {
    const bytes = entries[f.path]
    if (!bytes) throw new ImportError(`the bundle lists ${f.path}, but the zip does not hold it`)
    if (sha256(bytes) !== f.sha256)
      throw new ImportError(`${f.path} in the bundle was changed: its sha256 is not the one ${BUNDLE_MANIFEST} lists`)
  }
  const listed = new Set([BUNDLE_MANIFEST, ...manifest.files.map((f) => f.path)])
  const extra = Object.keys(entries).filter((n) => !n.endsWith('/') && !listed.has(n))
  if (extra.length) throw new ImportError(`the bundle holds files its ${BUNDLE_MANIFEST} does not list: ${extra.slice(0, 3).join(', ')}`)
  return { manifest, entries, bundleSha256: fileSha256(file) }
}

/** Copies the models that came with the bundle into the library, each checked against its sha256 (and its codes'). */
async function copyModels(
  entries: Record<string, Uint8Array>,
  dataDir: string,
  models: BundleAudit['models']
): Promise<Map<string, string>> {
  const expectedCodes = new Map(models.map((m) => [m.sha256, m.codesSha256]))
  const byModel = new Map<string, Array<[string, Uint8Array]>>()
  for (const [name, bytes] of Object.entries(entries)) {
    const parts = name.split('/')
    if (parts[0] !== MODELS_DIR || parts.length !== 3) continue
    byModel.set(parts[1]!, [...(byModel.get(parts[1]!) ?? []), [parts[2]!, bytes]])
  }
  const paths = new Map<string, string>()
  for (const [sha, files] of byModel) {
    const rel = posix.join('models', sha)
    const dir = join(dataDir, rel)
    const tmp = `${dir}.partial-${process.pid}`
    await rm(tmp, { recursive: true, force: true })
    await mkdir(tmp, { recursive: true })
    for (const [name, bytes] of files) await writeFile(join(tmp, name), bytes)
    const actual = checkModelBundle(openModelBundle([tmp])).sha256
    const codes = expectedCodes.get(sha)
    const problem =
      actual !== sha
        ? `the model under ${MODELS_DIR}/${sha.slice(0, 12)}… hashes to ${actual.slice(0, 12)}…`
        : codes && codesFileSha256(tmp) !== codes
          ? `the Mnemonic codes of model ${sha.slice(0, 12)}… are missing or differ from the recorded ones`
          : null
    if (problem) {
      await rm(tmp, { recursive: true, force: true })
      throw new ImportError(problem)
    }
    await rm(dir, { recursive: true, force: true })
    await rename(tmp, dir)
    paths.set(sha, rel)
  }
  return paths
}

export interface ImportDeps {
  store: AuditStore
  dataDir: string
  resourcesDir: string
}

/**
 * The audit's dataset, if this copy has one under its id, must be the same data. A built-in
 * dataset not yet used here is hashed and registered, as an audit on it would.
 */
export async function checkDataset(deps: ImportDeps, id: string, sha: string): Promise<void> {
  const builtin = findBuiltinDataset(id)
  const known = deps.store.datasets.find(id)
  const here = known?.sha256 ?? (builtin ? await hashDataset(requireDataset(deps, id)) : null)
  if (here !== null && here !== sha)
    throw new ImportError(
      `this copy has a different dataset under the id "${id}" (sha256 ${here.slice(0, 12)}…; the audit used ${sha.slice(0, 12)}…)`
    )
  if (builtin && !known)
    deps.store.datasets.upsert({
      id,
      name: builtin.name,
      source: 'builtin',
      sha256: sha,
      numClasses: builtin.classNames.length,
      inputShape: builtin.inputShape
    })
}

/**
 * A bundle's audit, once every file matches bundle.json, the audit's recomputed content hash matches
 * the bundle's, and every index list matches its sha256; ImportError naming the first that does not.
 */
export function readVerifiedBundle(file: string) {
  const { manifest, entries, bundleSha256 } = readEntries(file)
  const audit = parseJson(entries[BUNDLE_FILES.audit], BUNDLE_FILES.audit, BundleAudit)
  const recomputed = contentHash(reportManifest(audit.task, audit.runs, audit.splits))
  if (recomputed !== manifest.contentHash)
    throw new ImportError(
      `the audit in the bundle does not match its manifest: its content hash is ${recomputed.slice(0, 16)}…, the bundle says ${manifest.contentHash.slice(0, 16)}…`
    )
  for (const s of audit.splits) {
    if (s.indices.length !== s.count || sha256OfIndices(Int32Array.from(s.indices)) !== s.sha256)
      throw new ImportError(`the ${s.kind} index list of seed ${s.seed}${s.cellKey ? ` (${s.cellKey})` : ''} does not match its sha256`)
  }
  return { manifest, entries, bundleSha256, audit, contentHash: recomputed }
}

/**
 * Imports an audit bundle written by another copy (or this one). Nothing is stored unless every
 * file matches bundle.json, the audit's recomputed content hash matches the bundle's, and every
 * index list matches its sha256. The audit is stored read-only, marked with where it came from.
 */
export async function importBundle(deps: ImportDeps, file: string): Promise<BundleImport> {
  const { manifest, entries, bundleSha256, audit, contentHash: recomputed } = readVerifiedBundle(file)

  const existing = deps.store.tasks.get(audit.task.id)
  if (existing) {
    const here = contentHash(reportManifest(existing, deps.store.runs.list(existing.id), deps.store.splits.list(existing.id)))
    if (here !== recomputed)
      throw new ImportError(
        `an audit with id ${audit.task.id} is already here with different results (content hash ${here.slice(0, 16)}…); it is left as it is`
      )
    return { task: existing, alreadyImported: true, modelsIncluded: 0 }
  }
  await checkDataset(deps, audit.task.datasetId, audit.task.datasetSha256)
  const modelPaths = await copyModels(entries, deps.dataDir, audit.models)
  deps.store.importedAudits.insert(
    { ...audit, origin: { bundleSha256, contentHash: recomputed, appVersion: manifest.appVersion, importedAt: Date.now() } },
    modelPaths
  )
  return { task: deps.store.tasks.get(audit.task.id)!, alreadyImported: false, modelsIncluded: modelPaths.size }
}
