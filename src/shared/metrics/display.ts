/**
 * How a mean over runs is printed, in the app and in the PDF alike: with its standard error when
 * several runs stand behind it, and with `n = 1` when only one does (a ± 0.000 there would claim a
 * precision that one run cannot give).
 */

/** A mean over `n` runs and its standard error (the shape of `meanAndSem`'s result). */
export interface MeanStat {
  mean: number
  sem: number
  n: number
}

/** The spread beside a mean: `± 0.012`, or `n = 1` when one run stands behind it. */
export function spreadText(stat: MeanStat, digits = 3): string {
  return stat.n <= 1 ? 'n = 1' : `± ${stat.sem.toFixed(digits)}`
}

/** `0.812 ± 0.012`, `0.812 (n = 1)`, or `—` when there is no value. */
export function formatStat(stat: MeanStat | null | undefined, digits = 3): string {
  if (!stat || !Number.isFinite(stat.mean)) return '—'
  return stat.n <= 1 ? `${stat.mean.toFixed(digits)} (n = 1)` : `${stat.mean.toFixed(digits)} ± ${stat.sem.toFixed(digits)}`
}

/** A plain number for a table cell, `—` when missing. */
export const formatNumber = (v: unknown, digits = 3): string => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(digits) : '—')
