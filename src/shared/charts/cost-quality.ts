import type { RunRecord } from '../api/contract'
import { summarizeByMethod } from './method-comparison'

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
