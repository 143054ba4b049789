import type { RunRecord } from '../api/contract'
import { CORRUPTIONS } from '../task-spec'
import { comparedMethods, CORRUPTION_LABEL, methodColor } from './run-task'
import { taskSpacePoint } from './task-space'

/**
 * REM's line plots: for one corruption type, a metric against the discovery rate, one line per
 * method (mean over seeds) inside a band from the lowest to the highest seed.
 */

export interface DiscoveryPoint {
  rate: number
  mean: number
  min: number
  max: number
  n: number
}

/** Per corruption, per method, the points in ascending discovery rate. */
export function discoveryCurves(
  runs: RunRecord[],
  baseTask: Record<string, unknown>,
  metric: string
): Map<string, Map<string, DiscoveryPoint[]>> {
  const values = new Map<string, Map<string, Map<number, number[]>>>()
  for (const run of runs) {
    const at = taskSpacePoint(run, baseTask)
    const v = run.metrics[metric]
    if (run.status !== 'done' || run.method === 'original' || !at || typeof v !== 'number') continue
    const byMethod = values.get(at.corruption) ?? new Map<string, Map<number, number[]>>()
    const byRate = byMethod.get(run.method) ?? new Map<number, number[]>()
    byRate.set(at.discoveryRate, [...(byRate.get(at.discoveryRate) ?? []), v])
    byMethod.set(run.method, byRate)
    values.set(at.corruption, byMethod)
  }
  const curves = new Map<string, Map<string, DiscoveryPoint[]>>()
  for (const corruption of CORRUPTIONS) {
    const byMethod = values.get(corruption)
    if (!byMethod) continue
    const lines = new Map<string, DiscoveryPoint[]>()
    for (const [method, byRate] of byMethod) {
      const points = [...byRate]
        .sort(([a], [b]) => a - b)
        .map(([rate, vs]) => ({
          rate,
          mean: vs.reduce((a, b) => a + b, 0) / vs.length,
          min: Math.min(...vs),
          max: Math.max(...vs),
          n: vs.length
        }))
      lines.set(method, points)
    }
    curves.set(corruption, lines)
  }
  return curves
}

const round = (v: number) => Number(v.toFixed(4))

/** One chart: the lines of every method for `corruption`, each with its seed band. Null without data. */
export function discoveryLinesOption(
  runs: RunRecord[],
  baseTask: Record<string, unknown>,
  corruption: string,
  metric: string,
  metricLabel: string,
  opts: { animation?: boolean } = {}
): Record<string, unknown> | null {
  const lines = discoveryCurves(runs, baseTask, metric).get(corruption)
  if (!lines) return null
  const order = comparedMethods(runs).filter((m) => lines.has(m))
  // A band is two stacked lines: the lowest seed (invisible), then the spread filled above it.
  // Both carry the method's name, so the legend hides a method's line and band together.
  const series = order.flatMap((method) => {
    const points = lines.get(method)!
    const stack = `band:${method}`
    const color = methodColor(method)
    return [
      { name: method, type: 'line', color, data: points.map((p) => [p.rate, round(p.mean)]), symbolSize: 6, z: 3 },
      {
        name: method,
        type: 'line',
        color,
        stack,
        silent: true,
        symbol: 'none',
        lineStyle: { opacity: 0 },
        data: points.map((p) => [p.rate, round(p.min)]),
        tooltip: { show: false }
      },
      {
        name: method,
        type: 'line',
        color,
        stack,
        silent: true,
        symbol: 'none',
        lineStyle: { opacity: 0 },
        areaStyle: { opacity: 0.15 },
        data: points.map((p) => [p.rate, round(p.max - p.min)]),
        tooltip: { show: false }
      }
    ]
  })
  return {
    animation: opts.animation ?? true,
    title: {
      text: `${CORRUPTION_LABEL[corruption] ?? corruption}: ${metricLabel} (band: lowest to highest seed)`,
      left: 'center',
      textStyle: { fontSize: 13 }
    },
    tooltip: { trigger: 'axis' },
    legend: { bottom: 0, data: order },
    grid: { left: 62, right: 20, top: 40, bottom: 60 },
    xAxis: { type: 'value', name: 'discovery rate', nameLocation: 'middle', nameGap: 25, min: 0, max: 1 },
    yAxis: { type: 'value', name: metricLabel, nameLocation: 'middle', nameGap: 44, scale: true },
    series
  }
}
