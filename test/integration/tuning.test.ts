import { describe, expect, it } from 'vitest'
import { runAuditExpectingDone, useAuditServices } from '../helpers/audit-services'

const services = useAuditServices('tuning')

const spec = (testLimit: number, extra: Record<string, unknown> = {}) => ({
  name: 'tuned',
  dataset: { id: 'fashion-mnist', trainLimit: 1200, testLimit },
  model: { arch: 'mlp' },
  train: { epochs: 3, batchSize: 64, learningRate: 0.05 },
  task: { kind: 'class', classes: [3] },
  methods: ['retrain', 'finetune', 'gradient-ascent', 'ssd'],
  seeds: [0],
  tuning: { trials: 3 },
  ...extra
})

describe('equal-budget tuning in an audit', () => {
  it('every method but retrain gets the same number of trials, scored by ToW against the retrain; the test split never enters a trial', async () => {
    const a = await runAuditExpectingDone(services, spec(300))
    const records = services.store.tuningTrials.forRuns(a.runs.map((r) => r.id))
    const byMethod = new Map(a.runs.map((r) => [r.method, records.get(r.id)]))
    expect(byMethod.get('retrain')).toBeUndefined()
    expect(byMethod.get('original')).toBeUndefined()
    const retrain = a.metrics.retrain!
    for (const id of ['finetune', 'gradient-ascent', 'ssd']) {
      const record = byMethod.get(id)!
      expect(record.objective).toBe('tow')
      expect(record.trials).toHaveLength(3)
      expect(a.metrics[id]!.tuningTrials).toBe(3)
      expect(a.metrics[id]!.tuningSeconds).toBeGreaterThan(0)
      const kept = record.trials[record.kept]!
      // The kept trial is the best by the objective, and its ToW is made of the parts recorded beside it.
      expect(kept.objective).toBe(Math.max(...record.trials.map((t) => t.objective ?? -1)))
      const c = kept.components
      expect(kept.objective).toBeCloseTo(
        (1 - Math.abs(c.forgetAccuracy! - retrain.forgetAccuracy)) *
          (1 - Math.abs(c.retainAccuracy! - retrain.retainAccuracy)) *
          c.validationAccuracy!,
        9
      )
    }
    // Another test split (more test images) changes no trial: trials read training data only.
    const b = await runAuditExpectingDone(services, { ...spec(500), name: 'tuned, other test split' })
    const other = services.store.tuningTrials.forRuns(b.runs.map((r) => r.id))
    for (const id of ['finetune', 'gradient-ascent', 'ssd']) {
      const first = byMethod.get(id)!
      const second = other.get(b.runs.find((r) => r.method === id)!.id)!
      expect(second.trials.map((t) => t.objective)).toEqual(first.trials.map((t) => t.objective))
      expect(second.kept).toBe(first.kept)
    }
    expect(b.metrics.original!.testAccuracy).not.toBe(a.metrics.original!.testAccuracy)
  }, 600_000)

  it('corrupted tasks are scored by U×H on a held-out part of the discovered set; a spec without retrain is refused for ToW', async () => {
    const a = await runAuditExpectingDone(services, {
      ...spec(300),
      name: 'tuned poison',
      task: { kind: 'corrupted', corruption: 'poison', corruptedCount: 60, discoveryRate: 0.5 },
      methods: ['finetune', 'npo']
    })
    const records = services.store.tuningTrials.forRuns(a.runs.map((r) => r.id))
    for (const r of a.runs.filter((r) => r.method !== 'original')) {
      const record = records.get(r.id)!
      expect(record.objective).toBe('uxh')
      expect(record.heldOutCount).toBe(9)
      for (const t of record.trials.filter((t) => t.objective !== null))
        expect(t.objective).toBeCloseTo(t.components.validationAccuracy! * t.components.healedHeldOut!, 12)
    }
    await expect(services.audits.start({ ...spec(300), methods: ['finetune'] })).rejects.toThrow(/tuning: .*add "retrain"/)
  }, 600_000)
})
