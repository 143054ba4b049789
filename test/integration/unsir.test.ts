import { describe, expect, it } from 'vitest'
import { runAuditExpectingDone, useAuditServices } from '../helpers/audit-services'

const services = useAuditServices('unsir')

// The paper's impair/repair rates (Adam 0.02 / 0.01) are for a ResNet-18 trained with Adam; for this
// small SGD-trained mlp they cost 8 points of retain accuracy, so the test sets gentler ones. The
// defaults stay the paper's.
const gentle = { impairLearningRate: 0.005, repairLearningRate: 0.001 }

async function forgetClasses(classes: number[]) {
  const spec = {
    name: `unsir ${classes.join('+')}`,
    dataset: { id: 'fashion-mnist', trainLimit: 6000, testLimit: 500 },
    model: { arch: 'mlp' },
    train: { epochs: 3, batchSize: 64, learningRate: 0.05 },
    task: { kind: 'class', classes },
    methods: [{ id: 'unsir', params: gentle }]
  }
  return (await runAuditExpectingDone(services, spec)).metrics
}

describe('UNSIR class forgetting', () => {
  it('single class: forget accuracy ≤ 0.05 with retain accuracy within 5 points', async () => {
    const m = await forgetClasses([1])
    expect(m.unsir!.forgetAccuracy).toBeLessThanOrEqual(0.05)
    expect(m.original!.retainAccuracy! - m.unsir!.retainAccuracy!).toBeLessThanOrEqual(0.05)
    expect(m.unsir!.noiseSamples).toBe(20 * 256)
  }, 300_000)

  it('several classes at once', async () => {
    const m = await forgetClasses([1, 8])
    expect(m.unsir!.forgetAccuracy).toBeLessThanOrEqual(0.05)
    expect(m.original!.retainAccuracy! - m.unsir!.retainAccuracy!).toBeLessThanOrEqual(0.05)
    expect(m.unsir!.noiseSamples).toBe(2 * 20 * 256)
  }, 300_000)
})
