import { describe, expect, it } from 'vitest'
import { PAPER_REMOVAL_THRESHOLD, removalThreshold } from '@main/engine/methods/removal-threshold'
import { parseTaskSpec } from '@shared/task-spec'

const specWith = (task: Record<string, unknown>) =>
  parseTaskSpec({
    name: 't',
    dataset: { id: 'fashion-mnist' },
    model: { arch: 'mlp' },
    train: { epochs: 1, learningRate: 0.05 },
    task,
    methods: ['rem']
  })

describe('the removal threshold of REM, NPO and gradient ascent', () => {
  it("'auto' is the paper's 0.2 where an unseen model is wrong on D_f, without measuring anything", async () => {
    const heldOutAccuracy = () => Promise.reject(new Error('must not be measured'))
    for (const task of [
      { kind: 'class', classes: [1] },
      { kind: 'corrupted', corruption: 'random-swap', corruptedCount: 10, discoveryRate: 0.5 }
    ]) {
      expect(await removalThreshold('auto', { spec: specWith(task), heldOutAccuracy })).toBe(PAPER_REMOVAL_THRESHOLD)
    }
  })

  it("'auto' on random examples is the original's held-out accuracy; a number is taken as given", async () => {
    const spec = specWith({ kind: 'random', fraction: 0.1 })
    expect(await removalThreshold('auto', { spec, heldOutAccuracy: () => Promise.resolve(0.83) })).toBe(0.83)
    expect(await removalThreshold(0.4, { spec, heldOutAccuracy: () => Promise.resolve(0.83) })).toBe(0.4)
  })

  it('the default of every method with a threshold is auto', () => {
    const spec = parseTaskSpec({
      name: 't',
      dataset: { id: 'fashion-mnist' },
      model: { arch: 'mlp' },
      train: { epochs: 1, learningRate: 0.05 },
      task: { kind: 'random', fraction: 0.1 },
      methods: ['rem', 'npo', 'gradient-ascent']
    })
    for (const m of spec.methods) expect(m.params.removalThreshold, m.id).toBe('auto')
  })
})
