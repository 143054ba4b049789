import type { RunRecord } from '../api/contract'

/**
 * REM's evidence of redirection: accuracy on the known-corrupted set D_f (corrupted labels) after
 * each round, through the original channels only (drop) and with the dedicated ones on (mask).
 */
export function redirectionOption(run: RunRecord, opts: { animation?: boolean } = {}): Record<string, unknown> | null {
  const drop = run.metrics.remForgetAccuracyDrop
  const mask = run.metrics.remForgetAccuracyMask
  if (!Array.isArray(drop) || !Array.isArray(mask)) return null
  const best = typeof run.metrics.remBestRound === 'number' ? run.metrics.remBestRound : null
  return {
    animation: opts.animation ?? true,
    title: { text: `REM redirection, seed ${run.seed}: accuracy on D_f by round`, left: 'center', textStyle: { fontSize: 14 } },
    tooltip: { trigger: 'axis' },
    legend: { bottom: 0 },
    grid: { left: 50, right: 20, top: 40, bottom: 60 },
    xAxis: { type: 'category', name: 'round', data: drop.map((_, i) => String(i)) },
    yAxis: { type: 'value', min: 0, max: 1, name: 'accuracy (corrupted labels)' },
    series: [
      {
        name: 'original channels (drop)',
        type: 'line',
        data: drop,
        ...(best != null
          ? { markLine: { symbol: 'none', data: [{ xAxis: String(best), name: 'kept' }], label: { formatter: 'kept' } } }
          : {})
      },
      { name: 'with dedicated channels (mask)', type: 'line', data: mask }
    ]
  }
}
