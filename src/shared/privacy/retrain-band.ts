import type { RunRecord } from '../api/contract'
import { INTERVAL_PREFIX } from '../metrics/names'

/**
 * The retrain band: what retraining itself gives on a metric, across the R retrained models of one
 * cell and seed. A model is "within retrain" on a metric when its value lies in the band; the rule
 * below is printed wherever the words are used.
 */
export const RETRAIN_BAND_RULE =
  'Within retrain: the value lies in the band of the retrained models of the same cell and seed: their mean ± 2 SD when there are 3 or more, widened to cover each retrain’s own 95 % bootstrap interval where the metric has one; with fewer than 3 retrains, from the lowest to the highest retrain, widened the same way.'

export interface RetrainBand {
  low: number
  high: number
  mean: number
  /** How many retrained models the band rests on. */
  n: number
}

/** The finished retrains (the audit's and the privacy evidence's extra ones) of one cell and seed. */
export function retrainsOf(runs: RunRecord[], cellKey: string, seed: number): RunRecord[] {
  return runs.filter((r) => r.method === 'retrain' && r.status === 'done' && r.cellKey === cellKey && r.seed === seed)
}

const numberOf = (run: RunRecord, metric: string): number | null => {
  const v = (run.metrics as Record<string, unknown>)[metric]
  return typeof v === 'number' && Number.isFinite(v) ? v : null
}

const intervalOf = (run: RunRecord, metric: string): [number, number] | null => {
  const v = (run.metrics as Record<string, unknown>)[`${INTERVAL_PREFIX}${metric}`]
  return Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === 'number') ? (v as [number, number]) : null
}

/** The band of `metric` over `retrains` (RETRAIN_BAND_RULE), or null when no retrain measured it. */
export function retrainBand(retrains: RunRecord[], metric: string): RetrainBand | null {
  const measured = retrains.filter((r) => numberOf(r, metric) !== null)
  const values = measured.map((r) => numberOf(r, metric)!)
  const n = values.length
  if (!n) return null
  const mean = values.reduce((a, b) => a + b, 0) / n
  let low = Math.min(...values)
  let high = Math.max(...values)
  if (n >= 3) {
    const sd = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1))
    low = mean - 2 * sd
    high = mean + 2 * sd
  }
  for (const r of measured) {
    const ci = intervalOf(r, metric)
    if (ci) {
      low = Math.min(low, ci[0])
      high = Math.max(high, ci[1])
    }
  }
  return { low, high, mean, n }
}

/** Whether a value is within retrain by RETRAIN_BAND_RULE; null when there is no band or no value. */
export function withinRetrain(value: number | null | undefined, band: RetrainBand | null): boolean | null {
  if (value === null || value === undefined || !band) return null
  return value >= band.low && value <= band.high
}
