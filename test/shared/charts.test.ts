import { describe, expect, it } from 'vitest'
import type { RunRecord } from '@shared/api/contract'
import { costFront, costParetoOption, costQualityAxis, costQualityOption } from '@shared/charts/cost-quality'
import { bestMethods, leaderboardRows } from '@shared/charts/leaderboard'
import { taskSpaceCellLabel, taskSpaceGrid, taskSpaceHeatmapOption, taskSpaceMethods } from '@shared/charts/task-space'
import { formatStat, spreadText } from '@shared/metrics/display'
import { methodComparisonOption, summarizeByMethod } from '@shared/charts/method-comparison'
import { redirectionOption } from '@shared/charts/redirection'
import { resetLayersOption } from '@shared/charts/reset-layers'
import { runRecord } from '../helpers/run-record'

const run = (method: string, seed: number, metrics: RunRecord['metrics'], status: RunRecord['status'] = 'done') =>
  runRecord(method, seed, metrics, { status })

describe('shared chart builders', () => {
  it('average finished runs over seeds and ignore failed ones', () => {
    const runs = [
      run('rem', 0, { testAccuracy: 0.8 }),
      run('rem', 1, { testAccuracy: 0.6 }),
      run('rem', 2, { testAccuracy: 0.1 }, 'failed')
    ]
    expect(summarizeByMethod(runs)[0]).toMatchObject({ method: 'rem', seeds: 2, means: { testAccuracy: 0.7 } })
    const option = methodComparisonOption(runs) as { series: Array<{ name: string; data: Array<number | null> }> }
    expect(option.series.find((s) => s.name === 'Test accuracy')!.data).toEqual([0.7])
  })

  it("draw REM's redirection by round and mark the kept round", () => {
    const option = redirectionOption(
      run('rem', 0, { remForgetAccuracyDrop: [1, 0.1, 0], remForgetAccuracyMask: [1, 0.5, 0.7], remBestRound: 2 })
    ) as { xAxis: { data: string[] }; series: Array<{ data: number[]; markLine?: unknown }> }
    expect(option.xAxis.data).toEqual(['0', '1', '2'])
    expect(option.series.map((s) => s.data)).toEqual([
      [1, 0.1, 0],
      [1, 0.5, 0.7]
    ])
    expect(option.series[0]!.markLine).toBeDefined()
    expect(redirectionOption(run('finetune', 0, { testAccuracy: 0.8 }))).toBeNull()
  })

  it("draw DEL's resets per layer", () => {
    const option = resetLayersOption(run('del', 0, { 'resetElements.dense1': 120, 'resetElements.logits': 3, testAccuracy: 0.8 })) as {
      xAxis: { data: string[] }
      series: Array<{ data: number[] }>
    }
    expect(option.xAxis.data).toEqual(['dense1', 'logits'])
    expect(option.series[0]!.data).toEqual([120, 3])
    expect(resetLayersOption(run('rem', 0, { testAccuracy: 0.8 }))).toBeNull()
  })

  it('plot cost beside quality per unlearning method, without the original or failed runs', () => {
    const runs = [
      run('original', 0, { seconds: 50, forgetAccuracy: 0.9, testAccuracy: 0.85 }),
      run('retrain', 0, { seconds: 40, forgetAccuracy: 0.8, testAccuracy: 0.84 }),
      run('retrain', 1, { seconds: 60, forgetAccuracy: 0.82, testAccuracy: 0.86 }),
      run('ssd', 0, { seconds: 2, forgetAccuracy: 0.5, testAccuracy: 0.8 }),
      run('scrub', 0, { seconds: 9, forgetAccuracy: 0.1, testAccuracy: 0.2 }, 'failed')
    ]
    const option = costQualityOption(runs) as { series: Array<{ name: string; data: Array<{ name: string; value: number[] }> }> }
    expect(option.series.find((s) => s.name === 'Forget accuracy')!.data).toEqual([
      { name: 'retrain', value: [50, 0.81] },
      { name: 'ssd', value: [2, 0.5] }
    ])
    expect(costQualityOption(runs.slice(0, 3))).toBeNull()
  })

  it('draw cost against quality per run with the Pareto front, cheapest first, and mark retrain when it has no point', () => {
    const runs = [
      run('original', 0, { seconds: 50, tow: 0.7 }),
      run('retrain', 0, { seconds: 40 }),
      run('ssd', 0, { seconds: 2, tow: 0.6 }),
      run('ssd', 1, { seconds: 3, tow: 0.5 }),
      run('scrub', 0, { seconds: 9, tow: 0.9 }),
      run('scrub', 1, { seconds: 12, tow: 0.85 })
    ]
    expect(costQualityAxis(runs)).toEqual({ key: 'tow', label: 'ToW' })
    const front = costFront([
      { seconds: 2, quality: 0.6 },
      { seconds: 3, quality: 0.5 },
      { seconds: 9, quality: 0.9 },
      { seconds: 12, quality: 0.85 }
    ])
    expect(front).toEqual([
      { seconds: 2, quality: 0.6 },
      { seconds: 9, quality: 0.9 }
    ])
    const option = costParetoOption(runs) as { series: Array<{ name: string; data: unknown[]; markLine?: { data: unknown[] } }> }
    expect(option.series.map((s) => s.name)).toEqual(['ssd', 'scrub', 'Pareto front'])
    const pareto = option.series.at(-1)!
    expect(pareto.data).toEqual([
      [2, 0.6],
      [9, 0.9]
    ])
    expect(pareto.markLine!.data).toEqual([{ xAxis: 40 }])
    expect(costParetoOption([run('original', 0, { seconds: 5, tow: 1 })])).toBeNull()
  })

  it('say n = 1 where a mean rests on one run, never ± 0.000', () => {
    expect(formatStat({ mean: 0.81234, sem: 0, n: 1 })).toBe('0.812 (n = 1)')
    expect(formatStat({ mean: 0.81234, sem: 0.0123, n: 3 })).toBe('0.812 ± 0.012')
    expect(formatStat(null)).toBe('—')
    expect(spreadText({ mean: 1, sem: 0, n: 1 })).toBe('n = 1')
    expect(spreadText({ mean: 12.34, sem: 0.25, n: 2 }, 1)).toBe('± 0.3')
    expect(taskSpaceCellLabel({ mean: 0.456, sem: 0, n: 1 })).toBe('0.46\nn = 1')
    expect(taskSpaceCellLabel({ mean: 0.456, sem: 0.012, n: 2 })).toBe('0.46\n±0.01')
  })
})

describe('task-space views', () => {
  const cell = (corruption: string, discoveryRate: number) => ({ corruption, discoveryRate })
  const runs: RunRecord[] = [
    { ...run('rem', 0, { utilityTimesHealed: 0.8, seconds: 10 }), cell: cell('poison', 0.5) },
    { ...run('rem', 1, { utilityTimesHealed: 0.6, seconds: 12 }), cell: cell('poison', 0.5) },
    { ...run('finetune', 0, { utilityTimesHealed: 0.2, seconds: 3 }), cell: cell('random-swap', 1) },
    { ...run('retrain', 0, { utilityTimesHealed: 0.9, seconds: 40 }), cell: cell('poison', 0.5) },
    { ...run('finetune', 1, { utilityTimesHealed: 0.1 }, 'failed'), cell: cell('poison', 0.5) }
  ]

  it('grid the task space per method with mean ± SEM over seeds, on one shared colour scale, REM first', () => {
    const grid = taskSpaceGrid(runs, { kind: 'corrupted' }, 'utilityTimesHealed')!
    expect(grid.corruptions).toEqual(['poison', 'random-swap'])
    expect(grid.discoveryRates).toEqual([0.5, 1])
    const rem = grid.cells.get('rem')!.get('poison|0.5')!
    expect(rem.mean).toBeCloseTo(0.7)
    expect(rem.sem).toBeCloseTo(0.1)
    expect(grid.cells.get('finetune')!.has('poison|0.5')).toBe(false)
    expect([grid.min, grid.max]).toEqual([0.2, 0.9])
    expect(taskSpaceMethods(runs)).toEqual(['rem', 'finetune', 'retrain'])
    const option = taskSpaceHeatmapOption(grid, 'rem', 'Utility × Healed') as {
      visualMap: { min: number; max: number }
      series: Array<{ data: unknown[][] }>
    }
    expect(option.visualMap).toMatchObject({ min: 0.2, max: 0.9, show: true })
    expect((taskSpaceHeatmapOption(grid, 'finetune', 'U', { showScale: false }) as { visualMap: { show: boolean } }).visualMap.show).toBe(
      false
    )
    expect(option.series[0]!.data).toContainEqual([0, 0, 0.7])
  })

  it('rank methods in a leaderboard with the references apart and the best mean marked per metric', () => {
    const rows = leaderboardRows(runs)
    expect(rows.map((r) => [r.method, r.reference])).toEqual([
      ['retrain', true],
      ['rem', false],
      ['finetune', false]
    ])
    expect(rows[1]!.stats.utilityTimesHealed!.mean).toBeCloseTo(0.7)
    const best = bestMethods(rows)
    expect(best.utilityTimesHealed).toBe('rem')
    expect(best.seconds).toBe('finetune')
  })
})
