import { describe, expect, it } from 'vitest'
import { runAuditExpectingDone, useAuditServices } from '../helpers/audit-services'

const services = useAuditServices('del')

describe('DEL on random forgetting', () => {
  it('moves forget accuracy toward the retrained model while test accuracy stays within 3 points', async () => {
    const { metrics: m, runs } = await runAuditExpectingDone(services, {
      name: 'del random',
      dataset: { id: 'fashion-mnist', trainLimit: 2000, testLimit: 500 },
      model: { arch: 'mlp' },
      train: { epochs: 15, batchSize: 64, learningRate: 0.05 },
      task: { kind: 'random', fraction: 0.1 },
      methods: ['retrain', 'del']
    })
    const gap = (k: string) => Math.abs(m[k]!.forgetAccuracy! - m.retrain!.forgetAccuracy!)
    expect(gap('del')).toBeLessThan(gap('original'))
    expect(Math.abs(m.del!.testAccuracy! - m.original!.testAccuracy!)).toBeLessThanOrEqual(0.03)
    expect(m.del!.resetFraction).toBeCloseTo(0.3, 2)
    expect(runs.find((r) => r.method === 'del')!.params).toMatchObject({
      localization: 'del',
      budget: 0.3,
      epochs: 15,
      learningRate: 0.015
    })
  }, 300_000)
})
