import { describe, expect, it } from 'vitest'
import type { RunRecord } from '@shared/api/contract'
import { discoveryCurves, discoveryLinesOption } from '@shared/charts/discovery-lines'
import { confusionOption, confusionRates, perClassBarsOption, referenceRuns } from '@shared/charts/per-class'
import { paretoFront, tradeOffOption, tradeOffPoints } from '@shared/charts/trade-off'
import { confusionCounts } from '@shared/metrics/definitions'
import { type FilteredTask, filterChoices, NO_FILTER, runMatches, taskMatches } from '@shared/run-filter'
import { runRecord } from '../helpers/run-record'

const run = (
  method: string,
  seed: number,
  metrics: RunRecord['metrics'],
  cell: Record<string, unknown> | null = null,
  status: RunRecord['status'] = 'done'
) => runRecord(method, seed, metrics, { cell, status })
const baseTask = { kind: 'corrupted' as const, corruption: 'poison', discoveryRate: 0.5 }

describe('lines over the discovery rate', () => {
  const at = (corruption: string, discoveryRate: number) => ({ corruption, discoveryRate })
  const runs = [
    run('original', 0, { healedTrain: 0.1 }, at('poison', 0.1)),
    run('rem', 0, { healedTrain: 0.6 }, at('poison', 0.1)),
    run('rem', 1, { healedTrain: 0.8 }, at('poison', 0.1)),
    run('rem', 0, { healedTrain: 0.9 }, at('poison', 1)),
    run('finetune', 0, { healedTrain: 0.3 }, at('poison', 1)),
    run('finetune', 1, { healedTrain: 0.5 }, at('random-swap', 0.1)),
    run('finetune', 2, { healedTrain: 0.99 }, at('random-swap', 0.1), 'failed')
  ]

  it('average seeds per rate, keep the spread, sort the rates, and leave out the original and unfinished runs', () => {
    const curves = discoveryCurves(runs, baseTask, 'healedTrain')
    expect([...curves.keys()]).toEqual(['poison', 'random-swap'])
    const rem = curves.get('poison')!.get('rem')!
    expect(rem.map((p) => p.rate)).toEqual([0.1, 1])
    expect(rem[0]!.mean).toBeCloseTo(0.7)
    expect(rem[0]).toMatchObject({ min: 0.6, max: 0.8, n: 2 })
    expect(curves.get('poison')!.has('original')).toBe(false)
    expect(curves.get('random-swap')!.get('finetune')).toEqual([{ rate: 0.1, mean: 0.5, min: 0.5, max: 0.5, n: 1 }])
  })

  it('draw a band as the lowest seed plus the spread stacked on it, REM first', () => {
    const option = discoveryLinesOption(runs, baseTask, 'poison', 'healedTrain', 'Healed') as {
      series: Array<{ name: string; stack?: string; data: number[][] }>
    }
    expect(option.series.map((s) => s.name)).toEqual(['rem', 'rem', 'rem', 'finetune', 'finetune', 'finetune'])
    const [mean, low, spread] = option.series
    expect(mean!.data[0]).toEqual([0.1, 0.7])
    expect(low!.data[0]).toEqual([0.1, 0.6])
    expect(spread!.data[0]![1]).toBeCloseTo(0.2)
    expect(low!.stack).toBe(spread!.stack)
    expect(discoveryLinesOption(runs, baseTask, 'interclass-swap', 'healedTrain', 'Healed')).toBeNull()
  })
})

describe('trade-off scatter', () => {
  it('keep exactly the runs no other run beats on both axes', () => {
    const points = [
      { forgetting: 0.9, utility: 0.5 },
      { forgetting: 0.5, utility: 0.9 },
      { forgetting: 0.6, utility: 0.6 },
      { forgetting: 0.4, utility: 0.8 },
      { forgetting: 0.8, utility: 0.7 }
    ]
    expect(paretoFront(points)).toEqual([
      { forgetting: 0.5, utility: 0.9 },
      { forgetting: 0.8, utility: 0.7 },
      { forgetting: 0.9, utility: 0.5 }
    ])
    expect(paretoFront([])).toEqual([])
  })

  it('measure forgetting as healed (train) on corrupted tasks and as 1 − forget accuracy otherwise', () => {
    expect(tradeOffPoints([run('rem', 0, { healedTrain: 0.7, utility: 0.8, forgetAccuracy: 0.9 })])[0]).toMatchObject({
      forgetting: 0.7,
      utility: 0.8
    })
    expect(tradeOffPoints([run('ssd', 0, { forgetAccuracy: 0.25, testAccuracy: 0.8 })])[0]).toMatchObject({
      forgetting: 0.75,
      utility: 0.8
    })
    const option = tradeOffOption([
      run('ssd', 0, { forgetAccuracy: 0.25, testAccuracy: 0.8 }),
      run('finetune', 0, { forgetAccuracy: 0.5, testAccuracy: 0.9 })
    ]) as { series: Array<{ name: string; data: unknown[] }> }
    expect(option.series.map((s) => s.name)).toEqual(['ssd', 'finetune', 'Pareto front'])
    expect(option.series[2]!.data).toEqual([
      [0.5, 0.9],
      [0.75, 0.8]
    ])
    expect(tradeOffOption([run('ssd', 0, {}, null, 'failed')])).toBeNull()
  })
})

describe('per-class bars and the confusion matrix', () => {
  it('count (true, predicted) pairs row by row', () => {
    expect(confusionCounts([0, 1, 1, 2], [0, 0, 1, 2], 3)).toEqual([1, 1, 0, 0, 1, 0, 0, 0, 1])
  })

  it('normalise each true class and compare a run with the original and retrain of its own cell and seed', () => {
    const target = run('rem', 0, { perClassTestAccuracy: [0.5, 1], testConfusion: [1, 1, 0, 4] }, { discoveryRate: 0.5 })
    const runs = [
      run('original', 0, { perClassTestAccuracy: [0.9, 0.9] }, { discoveryRate: 0.5 }),
      run('original', 0, { perClassTestAccuracy: [0.1, 0.1] }, { discoveryRate: 1 }),
      run('retrain', 1, { perClassTestAccuracy: [0.2, 0.2] }, { discoveryRate: 0.5 }),
      target
    ]
    expect(confusionRates(target, 2)).toEqual([
      [0.5, 0.5],
      [0, 1]
    ])
    expect(confusionRates(target, 3)).toBeNull()
    expect(referenceRuns(target, runs)).toEqual({ original: runs[0], retrain: null })
    const bars = perClassBarsOption(target, runs, ['a', 'b']) as { series: Array<{ name: string; data: number[] }> }
    expect(bars.series.map((s) => s.data)).toEqual([
      [0.5, 1],
      [0.9, 0.9]
    ])
    expect((confusionOption(target, ['a', 'b']) as { series: Array<{ data: number[][] }> }).series[0]!.data).toContainEqual([1, 0, 0.5])
    expect(perClassBarsOption(run('rem', 0, {}), runs, ['a', 'b'])).toBeNull()
  })
})

describe('shared filters', () => {
  const task: FilteredTask = { spec: { dataset: { id: 'fashion-mnist' }, model: { arch: 'mlp' }, task: baseTask } }
  const runs = [
    run('original', 0, {}, { corruption: 'poison' }),
    run('rem', 1, {}, { corruption: 'random-swap' }),
    run('ssd', 0, {}, { corruption: 'poison' })
  ]

  it('narrow runs by corruption (cell first), method and seed, and keep the references under a method filter', () => {
    const pick = (f: Partial<typeof NO_FILTER>) => runs.filter((r) => runMatches(r, task, { ...NO_FILTER, ...f })).map((r) => r.method)
    expect(pick({})).toEqual(['original', 'rem', 'ssd'])
    expect(pick({ corruption: 'poison' })).toEqual(['original', 'ssd'])
    expect(pick({ methods: ['rem'] })).toEqual(['original', 'rem'])
    expect(pick({ seed: 1 })).toEqual(['rem'])
    expect(pick({ model: 'cnn-small' })).toEqual([])
  })

  it('narrow audits by dataset, model and task kind, and offer only values that occur', () => {
    expect(taskMatches(task, { ...NO_FILTER, taskKind: 'corrupted', dataset: 'fashion-mnist' })).toBe(true)
    expect(taskMatches(task, { ...NO_FILTER, taskKind: 'class' })).toBe(false)
    expect(filterChoices([task], runs, baseTask)).toEqual({
      datasets: ['fashion-mnist'],
      models: ['mlp'],
      taskKinds: ['corrupted'],
      corruptions: ['poison', 'random-swap'],
      methods: ['original', 'rem', 'ssd'],
      seeds: [0, 1]
    })
  })
})
