import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { chainBreaks, type LogEntry, metricsSha256 } from '../store/audit-log'
import type { AuditStore } from '../store/audit-store'
import { locateDataset } from '../engine/data/catalog'
import { checkModelBundle } from '../library/model-check'
import { codesFileSha256 } from '../engine/model-folder'
import { openModelBundle } from '../library/model-bundle'
import { hashDataset } from './dataset-hash'
import { contentHash, reportManifest } from '../reports/manifest'

export interface Finding {
  /** What the finding is about: `log #12`, `run <id>`, `model <sha>`, `dataset <id>`. */
  subject: string
  problem: string
}

export interface Verification {
  entries: number
  runsChecked: number
  modelsChecked: number
  datasetsChecked: number
  /** Finished runs older than the log: their metrics have no logged hash to compare with. */
  runsBeforeLog: number
  /** Logged runs whose audit was deleted, as the log records: their rows are gone on purpose. */
  runsDeleted: number
  /** Each audit's content hash, as its report's manifest prints it. */
  audits: Array<{ id: string; name: string; contentHash: string }>
  findings: Finding[]
}

interface LoggedRun {
  metricsSha256: string
  status?: string
  outputModelSha256?: string | null
}

/**
 * The last logged hash of each run's metrics, and the last logged outcome, for the runs the store
 * should still hold; and how many logged runs went with an audit whose deletion is logged.
 */
function loggedRuns(entries: LogEntry[]): { runs: Map<string, LoggedRun>; deleted: Set<string> } {
  const runs = new Map<string, LoggedRun>()
  const deleted = new Set<string>()
  for (const e of entries) {
    // An audit imported from a bundle logs each run's hashes as it arrived.
    if (e.kind === 'imported' && Array.isArray(e.payload.runs)) {
      for (const r of e.payload.runs as Array<{ id: string; status: string; outputModelSha256: string | null; metricsSha256: string }>) {
        runs.set(r.id, { metricsSha256: r.metricsSha256, status: r.status, outputModelSha256: r.outputModelSha256 })
        deleted.delete(r.id)
      }
      continue
    }
    // A deleted audit names its runs: from here on their rows are gone on purpose (until imported again).
    if (e.kind === 'deleted' && e.payload.what === 'audit' && Array.isArray(e.payload.runIds)) {
      for (const id of e.payload.runIds as string[]) {
        if (runs.delete(id)) deleted.add(id)
      }
      continue
    }
    if (e.kind !== 'finished' && e.kind !== 'measured') continue
    const previous = runs.get(e.subject)
    runs.set(e.subject, {
      ...previous,
      metricsSha256: String(e.payload.metricsSha256),
      ...(e.kind === 'finished'
        ? { status: String(e.payload.status), outputModelSha256: (e.payload.outputModelSha256 as string | null) ?? null }
        : {})
    })
  }
  return { runs, deleted }
}

/**
 * Recomputes the audit log's chain, every finished run's metrics hash against its last logged
 * one, and the files of every model and imported dataset still in the library against their
 * sha256. A logged run whose rows are gone is a finding unless the log records the deletion of its
 * audit. Anything that does not match is a finding; nothing is changed.
 */
export async function verifyStore(store: AuditStore, roots: { dataDir: string; resourcesDir: string }): Promise<Verification> {
  const entries = store.auditLog.entries()
  const findings: Finding[] = chainBreaks(entries).map((b) => ({ subject: `log #${b.seq}`, problem: b.reason }))
  const { runs: logged, deleted } = loggedRuns(entries)
  const seen = new Set<string>()
  let runsChecked = 0
  let runsBeforeLog = 0
  const audits: Verification['audits'] = []
  for (const task of store.tasks.list()) {
    const runs = store.runs.list(task.id)
    audits.push({ id: task.id, name: task.name, contentHash: contentHash(reportManifest(task, runs, store.splits.list(task.id))) })
    for (const run of runs) {
      seen.add(run.id)
      if (run.status === 'queued' || run.status === 'running') continue
      const entry = logged.get(run.id)
      const label = `run ${run.id} (${run.method}, seed ${run.seed}, audit "${task.name}")`
      if (!entry) {
        runsBeforeLog++
        continue
      }
      runsChecked++
      if (metricsSha256(store.runs.metrics(run.id)) !== entry.metricsSha256)
        findings.push({
          subject: label,
          problem: `its metrics differ from the ones logged when it ${task.origin ? 'was imported' : 'finished'}`
        })
      // The run list, charts and reports read the snapshot, so it must match the logged hash too.
      else if (metricsSha256(run.metrics) !== entry.metricsSha256)
        findings.push({ subject: label, problem: 'the metrics the app lists for it differ from its stored metric rows' })
      if (entry.status && entry.status !== run.status)
        findings.push({ subject: label, problem: `its status is ${run.status}, but it was logged as ${entry.status}` })
      if (entry.outputModelSha256 !== undefined && entry.outputModelSha256 !== run.outputModelSha256)
        findings.push({ subject: label, problem: 'its output model differs from the logged one' })
    }
  }
  for (const id of logged.keys()) {
    if (!seen.has(id))
      findings.push({ subject: `run ${id}`, problem: 'it is in the log, but its rows are gone and no deletion of its audit was logged' })
  }
  let modelsChecked = 0
  for (const model of store.models.listAll()) {
    // Deleted, or known by hash only (an imported audit's model whose files did not come along).
    if (model.deletedAt || !model.path) continue
    const dir = resolve(roots.dataDir, model.path)
    if (!existsSync(dir)) {
      findings.push({ subject: `model ${model.sha256}`, problem: `its files are missing from ${dir}` })
      continue
    }
    modelsChecked++
    let sha: string
    try {
      sha = checkModelBundle(openModelBundle([dir])).sha256
    } catch (err) {
      findings.push({ subject: `model ${model.sha256}`, problem: `its files cannot be read: ${(err as Error).message}` })
      continue
    }
    if (sha !== model.sha256) findings.push({ subject: `model ${model.sha256}`, problem: `its files hash to ${sha}` })
    if (model.codesSha256) {
      const codes = codesFileSha256(dir)
      if (codes !== model.codesSha256)
        findings.push({
          subject: `model ${model.sha256}`,
          problem: codes
            ? `its Mnemonic codes hash to ${codes}, not the recorded ${model.codesSha256}`
            : 'its Mnemonic codes file is missing'
        })
    }
  }
  let datasetsChecked = 0
  for (const dataset of store.datasets.listLibrary()) {
    const location = locateDataset(roots, dataset.id)
    if (!location) {
      findings.push({ subject: `dataset ${dataset.id}`, problem: 'its files are missing' })
      continue
    }
    datasetsChecked++
    const sha = await hashDataset(location)
    if (sha !== dataset.sha256)
      findings.push({ subject: `dataset ${dataset.id}`, problem: `its files hash to ${sha}, not the ${dataset.sha256} recorded at import` })
  }
  return {
    entries: entries.length,
    audits,
    runsChecked,
    modelsChecked,
    datasetsChecked,
    runsBeforeLog,
    runsDeleted: deleted.size,
    findings
  }
}
