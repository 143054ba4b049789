import { METHOD_IDS } from '../methods'
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

// ECharts' own palette, then ten more distinct hues: one colour per method of the catalog (and the original).
const PALETTE = [
  '#5470c6',
  '#91cc75',
  '#fac858',
  '#ee6666',
  '#73c0de',
  '#3ba272',
  '#fc8452',
  '#9a60b4',
  '#ea7ccc',
  '#8c564b',
  '#17becf',
  '#bcbd22',
  '#7f7f7f',
  '#e377c2',
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#d62728',
  '#9467bd'
]
const COLOR_ORDER = ['original', ...METHOD_IDS]
/** A method's colour, the same in every chart and view: picked by the method, not by its place in one chart. */
export function methodColor(method: string): string {
  const at = COLOR_ORDER.indexOf(method)
  return PALETTE[(at < 0 ? COLOR_ORDER.length : at) % PALETTE.length]!
}

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
