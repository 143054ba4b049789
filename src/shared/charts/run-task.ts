import type { RunRecord } from '../api/contract'

/** A run's concrete task: the audit's task with the run's sweep cell laid over it. */
export function runTask(run: RunRecord, baseTask: Record<string, unknown>): Record<string, unknown> {
  return { ...baseTask, ...(run.cell ?? {}) }
}

export const CORRUPTION_LABEL: Record<string, string> = {
  poison: 'poison (high)',
  'interclass-swap': 'inter-class swap',
  'random-swap': 'random swap (low)'
}

/** Methods with finished runs, REM first, the original model left out. */
export function comparedMethods(runs: RunRecord[]): string[] {
  const methods = [...new Set(runs.filter((r) => r.status === 'done' && r.method !== 'original').map((r) => r.method))]
  return methods.sort((a, b) => (a === 'rem' ? -1 : b === 'rem' ? 1 : 0))
}

// ECharts' own palette, assigned by method so a method keeps its colour across a chart's series.
const PALETTE = ['#5470c6', '#91cc75', '#fac858', '#ee6666', '#73c0de', '#3ba272', '#fc8452', '#9a60b4', '#ea7ccc']
export const methodColor = (index: number): string => PALETTE[index % PALETTE.length]!

/** A sweep cell for a table: "poison, rate 0.5" from "corruption=poison,discoveryRate=0.5"; "—" outside sweeps. */
export function cellText(cellKey: string): string {
  if (!cellKey) return '—'
  return cellKey
    .split(',')
    .map((part) => {
      const [key, value] = part.split('=')
      return key === 'corruption' ? String(value) : key === 'discoveryRate' ? `rate ${value}` : `${key} ${value}`
    })
    .join(', ')
}
