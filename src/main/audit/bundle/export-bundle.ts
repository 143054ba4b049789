import { zipSync } from 'fflate'
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { mkdir, rename, writeFile } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { canonicalJson } from '@shared/canonical-json'
import { renderReportPdf } from '@main/reports/audit-report'
import { contentHash, reportManifest } from '@main/reports/manifest'
import { gatherReportInput } from '@main/reports/report-input'
import type { AuditStore } from '@main/store/audit-store'
import { toResultCsv, toResultJson } from '../result-json'
import { BUNDLE_FILES, BUNDLE_FORMAT, BUNDLE_MANIFEST, type BundleAudit, type BundleManifest, MODELS_DIR } from './format'

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex')
const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value, null, 2))

/** A model's files as stored in the data folder, for models/<sha256>/ in the zip. */
function modelFiles(dataDir: string, path: string): Array<[string, Uint8Array]> {
  const dir = resolve(dataDir, path)
  return readdirSync(dir)
    .filter((name) => statSync(join(dir, name)).isFile())
    .map((name) => [name, new Uint8Array(readFileSync(join(dir, name)))])
}

/**
 * Writes an audit's bundle: its report, spec, metrics (JSON and CSV), manifest, the data another
 * copy needs to show it (audit.json), and on request the models whose files are here.
 */
export async function exportBundle(
  s: { store: AuditStore; paths: { dataDir: string }; appVersion: string },
  taskId: string,
  opts: { file: string; includeModels: boolean }
): Promise<{ path: string; sha256: string; bytes: number; models: number }> {
  const task = s.store.tasks.get(taskId)
  if (!task) throw new Error(`No audit with id ${taskId}`)
  const input = gatherReportInput(s, task)
  const manifest = reportManifest(task, input.runs, input.splits)
  const used = new Set(input.models.map((m) => m.sha256))
  const models = s.store.models.listAll().filter((m) => used.has(m.sha256))
  const audit: BundleAudit = {
    task: { ...task, active: false },
    runs: input.runs,
    splits: s.store.splits.list(taskId).map((sp) => ({
      cellKey: sp.cellKey,
      seed: sp.seed,
      kind: sp.kind as 'forget' | 'corrupted',
      count: sp.count,
      sha256: sp.sha256,
      indices: [...sp.indices]
    })),
    dataset: input.dataset,
    models: models.map(({ path: _path, runs: _runs, deletedAt: _deleted, ...m }) => m),
    attackScores: Object.fromEntries(s.store.attackScores.forRuns(input.runs.map((r) => r.id))),
    tuningTrials: Object.fromEntries(s.store.tuningTrials.forRuns(input.runs.map((r) => r.id)))
  }
  const files: Record<string, Uint8Array> = {
    [BUNDLE_FILES.audit]: json(audit),
    [BUNDLE_FILES.report]: new Uint8Array(await renderReportPdf(input)),
    [BUNDLE_FILES.spec]: json(task.spec),
    [BUNDLE_FILES.metricsJson]: json(toResultJson(task, input.runs, input.tuning?.records)),
    [BUNDLE_FILES.metricsCsv]: new TextEncoder().encode(toResultCsv(input.runs)),
    [BUNDLE_FILES.manifest]: json({ ...manifest, contentHash: contentHash(manifest) })
  }
  let included = 0
  if (opts.includeModels) {
    for (const m of models) {
      if (m.deletedAt || !m.path) continue
      for (const [name, bytes] of modelFiles(s.paths.dataDir, m.path)) files[`${MODELS_DIR}/${m.sha256}/${name}`] = bytes
      included++
    }
  }
  const bundleManifest: BundleManifest = {
    format: BUNDLE_FORMAT,
    version: 1,
    appVersion: s.appVersion,
    createdAt: new Date().toISOString(),
    contentHash: contentHash(manifest),
    files: Object.entries(files).map(([path, bytes]) => ({ path, sha256: sha256(bytes), bytes: bytes.length }))
  }
  files[BUNDLE_MANIFEST] = new TextEncoder().encode(canonicalJson(bundleManifest))
  // Weights hardly compress, so they are stored; the JSON files shrink a lot.
  const zip = zipSync(
    Object.fromEntries(Object.entries(files).map(([name, bytes]) => [name, [bytes, { level: name.startsWith(`${MODELS_DIR}/`) ? 0 : 6 }]]))
  )
  await mkdir(dirname(opts.file), { recursive: true })
  const tmp = `${opts.file}.partial-${process.pid}`
  await writeFile(tmp, zip)
  await rename(tmp, opts.file)
  const written = { path: opts.file, sha256: sha256(zip), bytes: zip.length }
  s.store.auditLog.recordExport(taskId, written, 'bundle')
  return { ...written, models: included }
}
