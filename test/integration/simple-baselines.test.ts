import { describe, expect, it } from 'vitest'
import { runAuditExpectingDone, useAuditServices } from '../helpers/audit-services'

const services = useAuditServices('baselines')

describe('NegGrad+, ℓ1-sparse and random labels on random forgetting', () => {
  it('each lowers forget accuracy from the memorised original while test accuracy stays within 5 points', async () => {
    const { metrics: m } = await runAuditExpectingDone(services, {
      name: 'simple baselines',
      dataset: { id: 'fashion-mnist', trainLimit: 2000, testLimit: 500 },
      model: { arch: 'mlp' },
      train: { epochs: 15, batchSize: 64, learningRate: 0.05 },
      task: { kind: 'random', fraction: 0.1 },
      methods: ['neggrad-plus', 'l1-sparse', 'random-label']
    })
    for (const id of ['neggrad-plus', 'l1-sparse', 'random-label']) {
      expect(m[id]!.forgetAccuracy, id).toBeLessThan(m.original!.forgetAccuracy!)
      expect(Math.abs(m[id]!.testAccuracy! - m.original!.testAccuracy!), id).toBeLessThanOrEqual(0.05)
    }
  }, 300_000)
})
