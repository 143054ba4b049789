import { describe, expect, it } from 'vitest'
import { useAuditServices } from '../helpers/audit-services'

const services = useAuditServices('corrupted')

describe('corrupted-data tasks end to end', () => {
  it('poison: the original learns the backdoor; retrain at discovery 1.0 removes it', async () => {
    const { taskId, done } = await services.audits.start({
      name: 'poison',
      dataset: { id: 'fashion-mnist', trainLimit: 3000, testLimit: 500 },
      model: { arch: 'mlp' },
      train: { epochs: 5, batchSize: 64, learningRate: 0.05 },
      task: { kind: 'corrupted', corruption: 'poison', corruptedCount: 150, discoveryRate: 1 },
      methods: ['retrain']
    })
    await done
    const [original, retrain] = services.store.runs.list(taskId)
    expect(original!.status).toBe('done')
    expect(retrain!.status).toBe('done')
    const o = original!.metrics as Record<string, number>
    const r = retrain!.metrics as Record<string, number>
    expect(o.attackSuccessRate).toBeGreaterThanOrEqual(0.9)
    expect(o.testAccuracy).toBeGreaterThanOrEqual(0.75)
    expect(o.healedTrain).toBeLessThan(0.1)
    expect(r.attackSuccessRate).toBeLessThanOrEqual(0.1)
    expect(r.healedTrain).toBeGreaterThan(0.7)
    // Against retraining: the retrain run is its own reference; the original is far from it.
    expect(r.tow).toBe(1)
    expect(o.tow).toBeLessThan(0.5)
    expect(o.gapToRetrain).toBeGreaterThan(0.3)
    expect(Object.keys(original!.metrics.deltaToRetrain as object)).toEqual(expect.arrayContaining(['attackSuccessRate', 'testAccuracy']))
    expect((original!.metrics.perClassTestAccuracy as number[]).length).toBe(10)
    const splits = services.store.splits.list(taskId)
    expect(splits.map((s) => [s.kind, s.count])).toEqual([
      ['corrupted', 150],
      ['forget', 150]
    ])
    expect(Array.from(splits[1]!.indices)).toEqual(Array.from(splits[0]!.indices))
  }, 180_000)

  it('interclass-swap at discovery 0.5: utility excludes the swapped pair, discovered and undiscovered are reported apart', async () => {
    const { taskId, done } = await services.audits.start({
      name: 'swap',
      dataset: { id: 'fashion-mnist', trainLimit: 1500, testLimit: 300 },
      model: { arch: 'mlp' },
      train: { epochs: 2, learningRate: 0.05 },
      task: { kind: 'corrupted', corruption: 'interclass-swap', corruptedCount: 60, discoveryRate: 0.5 },
      methods: ['finetune']
    })
    await done
    const runs = services.store.runs.list(taskId)
    expect(runs.map((r) => r.status)).toEqual(['done', 'done'])
    const m = runs[1]!.metrics as Record<string, number>
    for (const k of [
      'healedTrain',
      'healedDiscovered',
      'healedUndiscovered',
      'healedTest',
      'utility',
      'utilityTimesHealed',
      'paramsChanged'
    ]) {
      expect(m[k], k).toBeGreaterThanOrEqual(0)
      expect(m[k], k).toBeLessThanOrEqual(1)
    }
    expect(m.utilityTimesHealed).toBeCloseTo(m.utility! * m.healedTrain!)
    expect(runs[1]!.forgetCount).toBe(30)
    expect(m.attackSuccessRate).toBeUndefined()
  }, 180_000)
})
