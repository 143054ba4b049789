import type { RunRecord } from '../api/contract'

const PREFIX = 'resetElements.'

/** DEL's localization at a glance: how many parameter elements each layer had reset. */
export function resetLayersOption(run: RunRecord, opts: { animation?: boolean } = {}): Record<string, unknown> | null {
  const entries = Object.entries(run.metrics).filter((e): e is [string, number] => e[0].startsWith(PREFIX) && typeof e[1] === 'number')
  if (!entries.length) return null
  return {
    animation: opts.animation ?? true,
    title: { text: `${run.method}, seed ${run.seed}: parameters reset per layer`, left: 'center', textStyle: { fontSize: 14 } },
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    grid: { left: 60, right: 20, top: 40, bottom: 70 },
    xAxis: { type: 'category', data: entries.map(([k]) => k.slice(PREFIX.length)), axisLabel: { rotate: 30 } },
    yAxis: { type: 'value', name: 'elements reset' },
    series: [{ name: 'reset', type: 'bar', data: entries.map(([, v]) => v) }]
  }
}
