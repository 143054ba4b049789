import { describe, expect, it } from 'vitest'
import { drillDown } from '@main/audit/drill-down'
import { useAuditServices } from '../helpers/audit-services'

const services = useAuditServices('views')

// One corruption recipe at two discovery rates: one original trained, then reused by the second cell.
const sweep = {
  name: 'views sweep',
  dataset: { id: 'fashion-mnist', trainLimit: 600, testLimit: 200 },
  model: { arch: 'mlp' },
  train: { epochs: 2, batchSize: 64, learningRate: 0.05 },
  task: { kind: 'corrupted', corruption: 'random-swap', corruptedCount: 60, discoveryRate: 0.5 },
  methods: [{ id: 'finetune', params: { epochs: 1 } }],
  seeds: [0],
  sweep: { discoveryRate: [0.5, 1] }
}

describe('data behind the comparison views', () => {
  it("estimate a sweep from this machine's finished runs, store per-run confusion and per-sample predictions, and drill into a run's corrupted samples", async () => {
    const before = await services.audits.estimate(sweep)
    expect(before).toMatchObject({ runs: 4, measuredRuns: 0, seconds: 0 })
    expect(before.unmeasured.sort()).toEqual(['finetune', 'original'])

    const { taskId, done } = await services.audits.start(sweep)
    await done
    const runs = services.store.runs.list(taskId)
    for (const r of runs) expect(r.status, `${r.method}: ${r.error}`).toBe('done')
    const spent = runs.reduce((a, r) => a + (r.metrics.seconds as number), 0)

    // The same sweep again: both originals come from the cache, and every method has a measured speed.
    const again = await services.audits.estimate(sweep)
    expect(again).toMatchObject({ runs: 4, measuredRuns: 4, reusedModels: 2, unmeasured: [] })
    expect(again.seconds).toBeGreaterThan(0)
    // A new seed trains one original (the second cell reuses it) and costs more than the cached case.
    const newSeed = await services.audits.estimate({ ...sweep, seeds: [7] })
    expect(newSeed.reusedModels).toBe(1)
    expect(newSeed.seconds).toBeGreaterThan(again.seconds)
    // It prices the runs at their measured speeds: within a factor of 3 of what the first sweep took.
    expect(newSeed.seconds).toBeGreaterThan(spent / 3)
    expect(newSeed.seconds).toBeLessThan(spent * 3)

    const finetune = runs.find((r) => r.method === 'finetune' && r.cell?.discoveryRate === 0.5)!
    const confusion = finetune.metrics.testConfusion as number[]
    expect(confusion).toHaveLength(100)
    expect(confusion.reduce((a, b) => a + b, 0)).toBe(200)
    const diagonal = confusion.filter((_, i) => i % 11 === 0).reduce((a, b) => a + b, 0)
    expect(diagonal / 200).toBeCloseTo(finetune.metrics.testAccuracy as number, 10)
    expect(finetune.metrics.corruptedPredictions).toHaveLength(60)

    const drill = await drillDown(services.store, services.paths, finetune.id, 10)
    expect(drill.discovered.total).toBe(finetune.forgetCount)
    expect(drill.discovered.total + drill.undiscovered.total).toBe(60)
    // The drill-down's counts are the run's stored metrics, recounted sample by sample.
    expect(drill.discovered.healed / drill.discovered.total).toBeCloseTo(finetune.metrics.healedDiscovered as number, 10)
    expect(drill.undiscovered.healed / drill.undiscovered.total).toBeCloseTo(finetune.metrics.healedUndiscovered as number, 10)
    expect(drill.discovered.followsCorrupted / drill.discovered.total).toBeCloseTo(
      finetune.metrics.followsCorruptedDiscovered as number,
      10
    )
    expect(drill.undiscovered.followsCorrupted / drill.undiscovered.total).toBeCloseTo(
      finetune.metrics.followsCorruptedUndiscovered as number,
      10
    )
    for (const group of [drill.discovered, drill.undiscovered]) {
      expect(group.samples.length).toBe(Math.min(10, group.total))
      const follows = group.samples.map((s) => s.followsCorrupted)
      expect(follows).toEqual([...follows].sort((a, b) => Number(b) - Number(a)))
      for (const s of group.samples) {
        expect(s.pixels).toHaveLength(784)
        expect(s.corruptedLabel).not.toBe(s.cleanLabel)
        expect(s.followsCorrupted).toBe(s.predicted === s.corruptedLabel)
      }
    }
    await expect(drillDown(services.store, services.paths, 'no-such-run', 10)).rejects.toThrow(/No run/)
  })
})
