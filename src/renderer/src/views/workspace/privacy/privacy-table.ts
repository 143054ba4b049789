import type { RunRecord } from '@shared/api/contract'
import { comparedMethods } from '@shared/charts/run-task'
import { intervalKey, type PrivacyMetric } from '@shared/metrics/names'
import { retrainBand, type RetrainBand, withinRetrain } from '@shared/privacy/retrain-band'

/** The attack numbers the Privacy tab's table shows per model, in reading order. */
export const TABLE_METRICS = [
  'liraAuc',
  'liraTprAt1Fpr',
  'liraTprAt01Fpr',
  'rmiaAuc',
  'rmiaTprAt1Fpr',
  'ulira'
] as const satisfies PrivacyMetric[]
export type TableMetric = (typeof TABLE_METRICS)[number]

export interface PrivacyCell {
  value: number | null
  interval: [number, number] | null
  /** Whether the value lies in the retrain band; null where there is no band, no value, or the row is a retrain. */
  within: boolean | null
}

export interface PrivacyRow {
  run: RunRecord
  cells: Record<TableMetric, PrivacyCell>
}

/** A privacy metric of a run, when it is a finite number. */
export function metricOf(run: RunRecord | undefined, metric: PrivacyMetric): number | null {
  const v = run?.metrics[metric]
  return typeof v === 'number' && Number.isFinite(v) ? v : null
}

/** A privacy metric's 95 % interval on a run, when it has one. */
export function intervalOf(run: RunRecord | undefined, metric: PrivacyMetric): [number, number] | null {
  const v = run?.metrics[intervalKey(metric)]
  return Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === 'number') ? (v as [number, number]) : null
}

/** The runs of one cell and seed as the table lists them: the original, the audit's retrain, then each method. */
export function orderedRuns(runs: RunRecord[]): RunRecord[] {
  const order = ['original', 'retrain', ...comparedMethods(runs).filter((m) => m !== 'retrain')]
  return order.flatMap((m) => runs.filter((r) => r.method === m))
}

/**
 * The table's rows (the audit's finished runs of one cell and seed) and the retrain band of each metric,
 * over every retrain of the cell and seed (the audit's and the band's extra ones). A retrain's own row
 * is not marked: it is part of the band it would be judged by.
 */
export function privacyTable(
  runs: RunRecord[],
  retrains: RunRecord[]
): { rows: PrivacyRow[]; bands: Record<TableMetric, RetrainBand | null> } {
  const bands = Object.fromEntries(TABLE_METRICS.map((m) => [m, retrainBand(retrains, m)])) as Record<TableMetric, RetrainBand | null>
  const rows = orderedRuns(runs.filter((r) => r.status === 'done')).map((run) => ({
    run,
    cells: Object.fromEntries(
      TABLE_METRICS.map((m) => {
        const value = metricOf(run, m)
        return [m, { value, interval: intervalOf(run, m), within: run.method === 'retrain' ? null : withinRetrain(value, bands[m]) }]
      })
    ) as Record<TableMetric, PrivacyCell>
  }))
  return { rows, bands }
}
