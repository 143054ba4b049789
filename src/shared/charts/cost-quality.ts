import type { RunRecord } from '../api/contract'
import { summarizeByMethod } from './method-comparison'
import { methodColor } from './run-task'

/**
 * Cost beside quality: each method's mean seconds against its mean forget and test accuracy, so an
 * auditor sees what a method's forgetting costs next to what retraining costs. The original model
 * is left out (it is not an unlearning method). Null until two methods have finished.
 */
export function costQualityOption(runs: RunRecord[], opts: { animation?: boolean } = {}): Record<string, unknown> | null {
  const summary = summarizeByMethod(runs).filter((s) => s.seeds > 0 && s.method !== 'original' && typeof s.means.seconds === 'number')
  if (summary.length < 2) return null
  const point = (key: string) =>
    summary.flatMap((s) => {
      const y = s.means[key]
      return typeof y === 'number' ? [{ name: s.method, value: [Number(s.means.seconds!.toFixed(2)), Number(y.toFixed(4))] }] : []
    })
  const label = { show: true, formatter: '{b}', position: 'right', fontSize: 10 }
  return {
    animation: opts.animation ?? true,
    title: { text: 'Cost and quality by method (mean over seeds)', left: 'center', textStyle: { fontSize: 14 } },
    tooltip: { trigger: 'item' },
    legend: { bottom: 0 },
    grid: { left: 50, right: 90, top: 40, bottom: 60 },
    xAxis: { type: 'log', name: 'seconds', nameLocation: 'middle', nameGap: 25 },
    yAxis: { type: 'value', min: 0, max: 1, name: 'accuracy' },
    series: [
      { name: 'Forget accuracy', type: 'scatter', symbolSize: 10, label, data: point('forgetAccuracy') },
      { name: 'Test accuracy', type: 'scatter', symbol: 'diamond', symbolSize: 10, label, data: point('testAccuracy') }
    ]
  }
}

/** The quality a run's cost is weighed against: ToW where runs were compared with retraining, else REM's score, else test accuracy. */
export function costQualityAxis(runs: RunRecord[]): { key: string; label: string } {
  const has = (key: string) => runs.some((r) => r.status === 'done' && typeof r.metrics[key] === 'number')
  if (has('tow')) return { key: 'tow', label: 'ToW' }
  if (has('utilityTimesHealed')) return { key: 'utilityTimesHealed', label: 'Utility × Healed' }
  return { key: 'testAccuracy', label: 'Test accuracy' }
}

export interface CostPoint {
  runId: string
  method: string
  seed: number
  seconds: number
  quality: number
}

export function costPoints(runs: RunRecord[], qualityKey: string): CostPoint[] {
  return runs.flatMap((r) => {
    const seconds = r.metrics.seconds
    const quality = r.metrics[qualityKey as keyof typeof r.metrics]
    if (r.status !== 'done' || r.method === 'original' || typeof seconds !== 'number' || typeof quality !== 'number') return []
    return [{ runId: r.id, method: r.method, seed: r.seed, seconds, quality }]
  })
}

/** The runs no other run beats on both cost (lower is better) and quality (higher is better), cheapest first. */
export function costFront<P extends { seconds: number; quality: number }>(points: P[]): P[] {
  const sorted = [...points].sort((a, b) => a.seconds - b.seconds || b.quality - a.quality)
  const front: P[] = []
  let best = -Infinity
  for (const p of sorted) {
    if (p.quality > best) {
      front.push(p)
      best = p.quality
    }
  }
  return front
}

const round4 = (v: number) => Number(v.toFixed(4))

/**
 * Cost against quality, one point per finished run (the original left out), with the Pareto front:
 * the runs that no cheaper run matches in quality. Retraining's mean cost is marked as a line when
 * it has no point of its own (its ToW against itself is not measured). Null without points.
 */
export function costParetoOption(runs: RunRecord[], opts: { animation?: boolean } = {}): Record<string, unknown> | null {
  const axis = costQualityAxis(runs)
  const points = costPoints(runs, axis.key)
  if (points.length === 0) return null
  const methods = [...new Set(points.map((p) => p.method))]
  const front = costFront(points)
  const retrainSeconds = runs
    .filter((r) => r.method === 'retrain' && r.status === 'done' && typeof r.metrics.seconds === 'number')
    .map((r) => r.metrics.seconds as number)
  const retrainMean = retrainSeconds.length ? retrainSeconds.reduce((a, b) => a + b, 0) / retrainSeconds.length : null
  const markRetrain = retrainMean !== null && !methods.includes('retrain')
  return {
    animation: opts.animation ?? true,
    title: { text: `Cost against ${axis.label} (one point per run)`, left: 'center', textStyle: { fontSize: 13 } },
    tooltip: { trigger: 'item' },
    legend: { bottom: 0 },
    grid: { left: 62, right: 30, top: 40, bottom: 70 },
    xAxis: { type: 'log', name: 'seconds (log)', nameLocation: 'middle', nameGap: 25 },
    yAxis: { type: 'value', name: axis.label, nameLocation: 'middle', nameGap: 42, scale: true },
    series: [
      ...methods.map((method) => ({
        name: method,
        type: 'scatter',
        symbolSize: 9,
        color: methodColor(method),
        data: points
          .filter((p) => p.method === method)
          .map((p) => ({ name: `${method} · seed ${p.seed}`, value: [round4(Math.max(p.seconds, 0.001)), round4(p.quality)] }))
      })),
      {
        name: 'Pareto front',
        type: 'line',
        step: 'end',
        color: '#888',
        lineStyle: { type: 'dashed' },
        symbol: 'none',
        data: front.map((p) => [round4(Math.max(p.seconds, 0.001)), round4(p.quality)]),
        ...(markRetrain
          ? {
              markLine: {
                symbol: 'none',
                silent: true,
                lineStyle: { type: 'dotted', color: '#888' },
                label: { formatter: 'retrain', position: 'insideEndTop' },
                data: [{ xAxis: round4(Math.max(retrainMean!, 0.001)) }]
              }
            }
          : {})
      }
    ]
  }
}
