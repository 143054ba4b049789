import type { RunRecord } from '../api/contract'

/**
 * Pure ECharts option builders, shared by the renderer (canvas) and the PDF report (SSR SVG), so
 * the chart an auditor sees is the chart they sign.
 */

export const COMPARED_METRICS = [
  { key: 'testAccuracy', label: 'Test accuracy' },
  { key: 'retainAccuracy', label: 'Retain accuracy' },
  { key: 'forgetAccuracy', label: 'Forget accuracy' }
] as const

export interface MethodSummary {
  method: string
  /** Mean over the seeds that finished; null when none did. */
  means: Record<string, number | null>
  seeds: number
}

/** Means per method over finished runs, in first-seen order (original first). */
export function summarizeByMethod(runs: RunRecord[]): MethodSummary[] {
  const order: string[] = []
  const groups = new Map<string, RunRecord[]>()
  for (const r of runs) {
    if (!groups.has(r.method)) {
      order.push(r.method)
      groups.set(r.method, [])
    }
    if (r.status === 'done') groups.get(r.method)!.push(r)
  }
  return order.map((method) => {
    const done = groups.get(method)!
    const keys = new Set(done.flatMap((r) => Object.keys(r.metrics)))
    const means: Record<string, number | null> = {}
    for (const k of keys) {
      const values = done.map((r) => r.metrics[k]).filter((v): v is number => typeof v === 'number')
      means[k] = values.length ? values.reduce((a, b) => a + b, 0) / values.length : null
    }
    return { method, means, seeds: done.length }
  })
}

export function methodComparisonOption(runs: RunRecord[], opts: { animation?: boolean } = {}): Record<string, unknown> {
  const summary = summarizeByMethod(runs).filter((s) => s.seeds > 0)
  return {
    animation: opts.animation ?? true,
    title: { text: 'Accuracy by method (mean over seeds)', left: 'center', textStyle: { fontSize: 14 } },
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    legend: { bottom: 0 },
    grid: { left: 50, right: 20, top: 40, bottom: 60 },
    xAxis: { type: 'category', data: summary.map((s) => s.method) },
    yAxis: { type: 'value', min: 0, max: 1, name: 'accuracy' },
    series: COMPARED_METRICS.map((m) => ({
      name: m.label,
      type: 'bar',
      data: summary.map((s) => {
        const v = s.means[m.key]
        return v == null ? null : Number(v.toFixed(4))
      })
    }))
  }
}
