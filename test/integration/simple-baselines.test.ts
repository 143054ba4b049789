import { afterAll, describe, expect, it } from 'vitest'
import { createNodeServices } from '../../src/main/cli/node-services'
import { makeTempDir } from '../helpers/tmp'

const tmp = makeTempDir('baselines')
const services = createNodeServices({ dataDir: tmp.dir })
afterAll(() => {
  services.dispose()
  tmp.cleanup()
})

describe('NegGrad+, ℓ1-sparse and random labels on random forgetting', () => {
  it('each lowers forget accuracy from the memorised original while test accuracy stays within 5 points', async () => {
    const { taskId, done } = await services.audits.start({
      name: 'simple baselines',
      dataset: { id: 'fashion-mnist', trainLimit: 2000, testLimit: 500 },
      model: { arch: 'mlp' },
      train: { epochs: 15, batchSize: 64, learningRate: 0.05 },
      task: { kind: 'random', fraction: 0.1 },
      methods: ['neggrad-plus', 'l1-sparse', 'random-label']
    })
    await done
    const runs = services.store.listRuns(taskId)
    for (const r of runs) expect(r.status, `${r.method}: ${r.error}`).toBe('done')
    const m = Object.fromEntries(runs.map((r) => [r.method, r.metrics as Record<string, number>]))
    for (const id of ['neggrad-plus', 'l1-sparse', 'random-label']) {
      expect(m[id]!.forgetAccuracy, id).toBeLessThan(m.original!.forgetAccuracy!)
      expect(Math.abs(m[id]!.testAccuracy! - m.original!.testAccuracy!), id).toBeLessThanOrEqual(0.05)
    }
  }, 300_000)
})
