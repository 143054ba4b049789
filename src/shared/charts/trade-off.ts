import type { RunRecord } from '../api/contract'
import { methodColor } from './run-task'

/**
 * Forgetting against utility, one point per finished run, with the Pareto front: the runs no
 * other run beats on both axes at once. Forgetting is healedTrain on corrupted tasks (the
 * corrupted samples given their clean label again), else 1 − forget accuracy.
 */

export interface TradeOffPoint {
  runId: string
  method: string
  seed: number
  forgetting: number
  utility: number
}

export function tradeOffAxes(runs: RunRecord[]): { forgetting: string; utility: string } {
  const corrupted = runs.some((r) => typeof r.metrics.healedTrain === 'number')
  return corrupted ? { forgetting: 'Healed (train)', utility: 'Utility' } : { forgetting: '1 − forget accuracy', utility: 'Test accuracy' }
}

export function tradeOffPoints(runs: RunRecord[]): TradeOffPoint[] {
  return runs.flatMap((r) => {
    if (r.status !== 'done') return []
    const m = r.metrics
    const forgetting =
      typeof m.healedTrain === 'number' ? m.healedTrain : typeof m.forgetAccuracy === 'number' ? 1 - m.forgetAccuracy : null
    const utility = typeof m.utility === 'number' ? m.utility : typeof m.testAccuracy === 'number' ? m.testAccuracy : null
    return forgetting === null || utility === null ? [] : [{ runId: r.id, method: r.method, seed: r.seed, forgetting, utility }]
  })
}

/** The non-dominated points (higher is better on both axes), in ascending forgetting. */
export function paretoFront<P extends { forgetting: number; utility: number }>(points: P[]): P[] {
  const sorted = [...points].sort((a, b) => b.forgetting - a.forgetting || b.utility - a.utility)
  const front: P[] = []
  let bestUtility = -Infinity
  // Walking from the most forgetting down, a point joins the front only if it is more useful than all before it.
  for (const p of sorted) {
    if (p.utility > bestUtility) {
      front.push(p)
      bestUtility = p.utility
    }
  }
  return front.reverse()
}

const round = (v: number) => Number(v.toFixed(4))

export function tradeOffOption(runs: RunRecord[], opts: { animation?: boolean } = {}): Record<string, unknown> | null {
  const points = tradeOffPoints(runs)
  if (points.length === 0) return null
  const axes = tradeOffAxes(runs)
  const methods = [...new Set(points.map((p) => p.method))]
  const front = paretoFront(points)
  return {
    animation: opts.animation ?? true,
    title: {
      text: `Trade-off: ${axes.forgetting} against ${axes.utility.toLowerCase()}`,
      subtext: 'one point per run; the dashed line is the Pareto front',
      left: 'center',
      textStyle: { fontSize: 13 }
    },
    tooltip: { trigger: 'item' },
    legend: { bottom: 0 },
    grid: { left: 62, right: 20, top: 56, bottom: 70 },
    xAxis: { type: 'value', name: axes.forgetting, nameLocation: 'middle', nameGap: 25, min: 0, max: 1 },
    yAxis: { type: 'value', name: axes.utility, nameLocation: 'middle', nameGap: 42, scale: true },
    series: [
      ...methods.map((method) => ({
        name: method,
        type: 'scatter',
        color: methodColor(method),
        symbolSize: 9,
        data: points
          .filter((p) => p.method === method)
          .map((p) => ({ name: `${method} · seed ${p.seed}`, value: [round(p.forgetting), round(p.utility)] }))
      })),
      {
        name: 'Pareto front',
        type: 'line',
        step: 'start',
        color: '#888',
        lineStyle: { type: 'dashed' },
        symbol: 'none',
        data: front.map((p) => [round(p.forgetting), round(p.utility)])
      }
    ]
  }
}
