import { describe, expect, it } from 'vitest'
import { runAuditExpectingDone, useAuditServices } from '../helpers/audit-services'

const services = useAuditServices('peer-baselines')

const base = {
  dataset: { id: 'fashion-mnist', trainLimit: 2000, testLimit: 500 },
  model: { arch: 'mlp' },
  train: { epochs: 15, batchSize: 64, learningRate: 0.05 }
}

describe('SCRUB, Bad Teacher, SalUn, CF-k, EU-k and SSD on Fashion-MNIST', () => {
  it('on random forgetting, each lowers forget accuracy from the memorised original while test accuracy stays within 5 points', async () => {
    const methods = ['scrub', 'salun', 'cf-k', 'eu-k']
    const { metrics: m } = await runAuditExpectingDone(services, {
      ...base,
      name: 'peers, random',
      task: { kind: 'random', fraction: 0.1 },
      methods
    })
    for (const id of methods) {
      expect(m[id]!.forgetAccuracy, id).toBeLessThan(m.original!.forgetAccuracy!)
      expect(Math.abs(m[id]!.testAccuracy! - m.original!.testAccuracy!), id).toBeLessThanOrEqual(0.05)
    }
  }, 600_000)

  // Bad Teacher at the paper's Adam 1e-4 for one epoch (32 steps here) barely moves this small
  // SGD-trained mlp (class accuracy 0.99 → 0.82). One epoch at 1e-3 sits on the test's edge (seed 0
  // crossed 0.79 → 0.796 when channel sums changed order; seed 1: 0.38); two epochs give 0.73 and 0.03 with
  // retain accuracy within 2 points, while 3e-3 costs the retained classes 5-6 points.
  it('on class forgetting, SSD empties the class and Bad Teacher lowers it, while the retained classes stay within 5 points', async () => {
    const { metrics: m } = await runAuditExpectingDone(services, {
      ...base,
      name: 'peers, class',
      task: { kind: 'class', classes: [1] },
      methods: ['ssd', { id: 'bad-teacher', params: { learningRate: 1e-3, epochs: 2 } }]
    })
    expect(m.ssd!.forgetAccuracy).toBeLessThanOrEqual(0.1)
    expect(m['bad-teacher']!.forgetAccuracy).toBeLessThan(0.8 * m.original!.forgetAccuracy!)
    for (const id of ['ssd', 'bad-teacher'])
      expect(Math.abs(m[id]!.retainAccuracy! - m.original!.retainAccuracy!), id).toBeLessThanOrEqual(0.05)
  }, 600_000)
})
