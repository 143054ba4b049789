import type { RunRecord } from '@shared/api/contract'
import { ALL_METRICS } from '@shared/metrics/groups'
import { intervalKey, type PrivacyMetric } from '@shared/metrics/names'
import { type RetrainBand, retrainBand, retrainsOf, withinRetrain } from '@shared/privacy/retrain-band'
import { isAuditRun } from '@shared/run-filter'
import { type Block, cellLabel, fmt, table } from '../blocks'

/** The attacks' readings, in the order the table prints them. */
export const ATTACK_COLUMNS: PrivacyMetric[] = ['liraAuc', 'liraTprAt1Fpr', 'liraTprAt01Fpr', 'rmiaAuc', 'rmiaTprAt1Fpr', 'ulira']

const labelOf = (key: string) => ALL_METRICS.find((m) => m.key === key)?.label ?? key

export const valueOf = (run: RunRecord | undefined, metric: string): number | null => {
  const v = run?.metrics[metric as keyof RunRecord['metrics']]
  return typeof v === 'number' && Number.isFinite(v) ? v : null
}

export const intervalOf = (run: RunRecord | undefined, metric: PrivacyMetric): [number, number] | null => {
  const v = run?.metrics[intervalKey(metric)]
  return Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === 'number') ? (v as [number, number]) : null
}

/** "0.512 [0.450, 0.580]" as the report prints a value with its 95 % interval. */
export const withInterval = (value: number | null, ci: [number, number] | null): string =>
  ci ? `${fmt(value)} [${fmt(ci[0])}, ${fmt(ci[1])}]` : fmt(value)

// Short, so a mark fits its column on one line; the note above the table says what they mean.
const MARK = {
  within: { text: 'within', color: '#2e7d32' },
  outside: { text: 'outside', color: '#c62828', bold: true },
  none: { text: 'no band', color: '#777' }
}

/** One table cell: the value, its interval beneath, and whether it lies in the retrain band. */
function reading(run: RunRecord, metric: PrivacyMetric, band: RetrainBand | null, marked: boolean): Block {
  const value = valueOf(run, metric)
  const ci = intervalOf(run, metric)
  const within = withinRetrain(value, band)
  const mark = !marked || value === null ? null : within === null ? MARK.none : within ? MARK.within : MARK.outside
  return {
    stack: [
      { text: fmt(value) },
      ...(ci ? [{ text: `[${fmt(ci[0])}, ${fmt(ci[1])}]`, color: '#555' }] : []),
      ...(mark ? [{ ...mark }] : [])
    ]
  }
}

function bandCell(band: RetrainBand | null): Block {
  return band
    ? { stack: [{ text: `[${fmt(band.low)}, ${fmt(band.high)}]` }, { text: `mean ${fmt(band.mean)}`, color: '#555' }] }
    : { text: '—' }
}

const modelName = (r: RunRecord) => (r.status === 'done' ? r.method : `${r.method} (${r.status})`)

/** The rows of one cell and seed: original, the audit's retrain, the band over every retrain, then each method. */
function groupRows(runs: RunRecord[], cellKey: string, seed: number): unknown[][] {
  const own = runs.filter((r) => isAuditRun(r) && r.cellKey === cellKey && r.seed === seed)
  const retrains = retrainsOf(runs, cellKey, seed)
  const bands = Object.fromEntries(ATTACK_COLUMNS.map((m) => [m, retrainBand(retrains, m)]))
  const ordered = [
    ...own.filter((r) => r.method === 'original'),
    ...own.filter((r) => r.method === 'retrain'),
    ...own.filter((r) => r.method !== 'original' && r.method !== 'retrain')
  ]
  const rows = ordered.map((r) => [modelName(r), ...ATTACK_COLUMNS.map((m) => reading(r, m, bands[m]!, r.method !== 'retrain'))])
  // The band row sits after the audit's retrain, whose values are part of it.
  const at = ordered.findIndex((r) => r.method === 'retrain') + 1
  rows.splice(at, 0, [
    { text: `retrain band\n(${retrains.length} retrains)`, italics: true },
    ...ATTACK_COLUMNS.map((m) => bandCell(bands[m]!))
  ])
  const label = `${cellKey ? `${cellLabel(cellKey)}\n` : ''}seed ${seed}`
  return rows.map((row, k) => [k === 0 ? { text: label, bold: true } : '', ...row])
}

/** Every cell and seed in one table, so a sweep stays compact. */
export function attackTable(runs: RunRecord[], groups: Array<{ cellKey: string; seed: number }>): Block {
  return table(
    ['Cell, seed', 'Model', ...ATTACK_COLUMNS.map(labelOf)],
    groups.flatMap((g) => groupRows(runs, g.cellKey, g.seed)),
    [48, 72, ...ATTACK_COLUMNS.map(() => '*')],
    { fontSize: 6.5 }
  )
}
