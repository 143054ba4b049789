import { createHash } from 'node:crypto'
import type { RunRecord, TaskSummary } from '@shared/api/contract'
import { canonicalJson } from '@shared/canonical-json'
import { metricsSha256 } from '../store/audit-log'

/** Every hash a report's numbers rest on: the spec, the dataset, the index lists, and each run's model and metrics. */
export interface ReportManifest {
  taskId: string
  specSha256: string
  datasetSha256: string
  splits: Array<{ cellKey: string; seed: number; kind: string; sha256: string }>
  runs: Array<{ id: string; method: string; seed: number; status: string; outputModelSha256: string | null; metricsSha256: string }>
}

export function reportManifest(
  task: TaskSummary,
  runs: RunRecord[],
  splits: Array<{ cellKey?: string; seed: number; kind: string; sha256: string }>
): ReportManifest {
  return {
    taskId: task.id,
    specSha256: task.specSha256,
    datasetSha256: task.datasetSha256,
    splits: splits.map((s) => ({ cellKey: s.cellKey ?? '', seed: s.seed, kind: s.kind, sha256: s.sha256 })),
    runs: runs.map((r) => ({
      id: r.id,
      method: r.method,
      seed: r.seed,
      status: r.status,
      outputModelSha256: r.outputModelSha256,
      metricsSha256: metricsSha256(r.metrics)
    }))
  }
}

/**
 * The report's content hash: over its manifest, so it depends on the data a report is made of
 * and not on the PDF's bytes (which carry a date). `verify` prints the same hash from the store.
 */
export function contentHash(manifest: ReportManifest): string {
  return createHash('sha256').update(canonicalJson(manifest)).digest('hex')
}
