import { readFileSync } from 'node:fs'
import { cpus, platform, arch, totalmem } from 'node:os'
import { join, resolve } from 'node:path'
import type { DatasetSummary, ReportSettings, RunRecord, TaskSummary } from '@shared/api/contract'
import type { TuningRecord, TuningSettings } from '@shared/tuning'
import { datasetSummary } from '../library/library'
import { layerSummary } from '../library/model-check'
import { MODEL_JSON } from '../engine/model-folder'
import type { AuditStore } from '../store/audit-store'
import { gatherPrivacy, type PrivacyInput, withPrivacyImages } from './privacy/privacy-input'

/** A model a run started from or produced, as the report lists it. */
export interface ReportModel {
  sha256: string
  arch: string
  parameterCount: number
  bytes: number
  /** Its layers by type, read from its model.json; null when its files are not in this copy. */
  layers: string | null
}

/** The audit's tuning: the spec's setting and each tuned run's trials, by run id. */
export interface TuningInput {
  settings: TuningSettings
  records: ReadonlyMap<string, TuningRecord>
}

/** Everything one report is made of; gathered from the store, so the app and the CLI print the same. */
export interface ReportInput {
  task: TaskSummary
  runs: RunRecord[]
  splits: Array<{ cellKey?: string; seed: number; kind: string; count: number; sha256: string }>
  appVersion: string
  generatedAt: Date
  /** The task's dataset as the library knows it (class names, preprocessing of an import). */
  dataset: DatasetSummary | null
  /** The last audit log entry when the report was made. */
  logHead: { seq: number; hash: string } | null
  settings: ReportSettings
  /** The machine the report was made on: CPU, cores, OS, memory. */
  machine: string
  models: ReportModel[]
  /** The privacy evidence (attack scores, and the most exposed samples' images once loaded); null or absent when the spec has no `privacy`. */
  privacy?: PrivacyInput | null
  /** Every tuned run's trials; null or absent when the spec has no `tuning`. */
  tuning?: TuningInput | null
}

export function describeMachine(): string {
  const cores = cpus()
  return `${cores[0]?.model.trim() ?? 'unknown CPU'}, ${cores.length} cores, ${platform()} ${arch()}, ${(totalmem() / 2 ** 30).toFixed(1)} GB memory`
}

function modelLayers(dataDir: string, path: string): string | null {
  if (!path) return null
  try {
    return layerSummary(readFileSync(join(resolve(dataDir, path), MODEL_JSON)))
  } catch {
    return null
  }
}

/**
 * Gathers a report's input from the store. `paths.resourcesDir` (where the built-in datasets are) lets
 * the privacy section show the most exposed samples' images; without it they are left out.
 */
export function gatherReportInput(
  s: { store: AuditStore; paths: { dataDir: string; resourcesDir?: string }; appVersion: string },
  task: TaskSummary,
  generatedAt = new Date()
): ReportInput {
  const runs = s.store.runs.list(task.id)
  const used = new Set(runs.flatMap((r) => [r.inputModelSha256, r.outputModelSha256]).filter((m): m is string => m !== null))
  const models = s.store.models
    .listAll()
    .filter((m) => used.has(m.sha256))
    .map((m) => ({
      sha256: m.sha256,
      arch: m.arch,
      parameterCount: m.parameterCount,
      bytes: m.bytes,
      layers: m.deletedAt ? null : modelLayers(s.paths.dataDir, m.path)
    }))
  return {
    task,
    runs,
    splits: s.store.splits.list(task.id),
    appVersion: s.appVersion,
    generatedAt,
    dataset: datasetSummary(s.store, task.datasetId),
    logHead: s.store.auditLog.head(),
    settings: s.store.settings.read(),
    machine: describeMachine(),
    models,
    privacy: gatherPrivacy(
      s.store,
      task,
      runs,
      s.paths.resourcesDir ? { resourcesDir: s.paths.resourcesDir, dataDir: s.paths.dataDir } : null
    ),
    tuning: task.spec.tuning ? { settings: task.spec.tuning, records: s.store.tuningTrials.forRuns(runs.map((r) => r.id)) } : null
  }
}

/** The input with everything read asynchronously (the thumbnails' pixels) in place, for the synchronous layout. */
export async function readyForLayout(input: ReportInput): Promise<ReportInput> {
  return { ...input, privacy: await withPrivacyImages(input.privacy ?? null) }
}
