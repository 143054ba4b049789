import { describe, expect, it } from 'vitest'
import { makeTuningSplit } from '@main/engine/tuning/tuning-split'
import { trialSettings } from '@main/engine/tuning/tune-method'
import { METHOD_CATALOG, METHOD_IDS, searchSpaceOf } from '@shared/methods'
import { parseTaskSpec } from '@shared/task-spec'
import { drawDimension, type SearchDimension } from '@shared/tuning'
import { prepareTaskData } from '@main/engine/data/task-data'

const within = (d: SearchDimension, v: unknown) => {
  const [lo, hi] = 'int' in d ? d.int : 'log' in d ? d.log : d.range
  // Draws keep three significant digits, so an end may round a hair past it.
  return typeof v === 'number' && v >= lo * 0.999 && v <= hi * 1.001 && (!('int' in d) || Number.isInteger(v))
}

describe('equal-budget tuning: the trials', () => {
  it('every method but retrain has a search space over settings it really has', () => {
    expect(searchSpaceOf('retrain')).toBeNull()
    for (const id of METHOD_IDS.filter((m) => m !== 'retrain')) {
      const space = searchSpaceOf(id)!
      expect(Object.keys(space).length, id).toBeGreaterThan(0)
      const defaults = METHOD_CATALOG[id].params.parse({}) as Record<string, unknown>
      for (const [name, d] of Object.entries(space)) {
        // Each drawn value must pass the method's own schema.
        expect(METHOD_CATALOG[id].params.safeParse({ ...defaults, [name]: drawDimension(d, 0.999) }).success, `${id}.${name}`).toBe(true)
        expect(METHOD_CATALOG[id].params.safeParse({ ...defaults, [name]: drawDimension(d, 0) }).success, `${id}.${name}`).toBe(true)
      }
    }
  })

  it('the same number of trials for every method: the run’s own settings first, then seeded draws inside the space', () => {
    for (const id of METHOD_IDS.filter((m) => m !== 'retrain')) {
      const own = METHOD_CATALOG[id].params.parse({}) as Record<string, unknown>
      const trials = trialSettings(id, own, 6, 3)
      expect(trials).toHaveLength(6)
      expect(trials[0]).toEqual(own)
      const space = searchSpaceOf(id)!
      for (const t of trials.slice(1))
        for (const [name, d] of Object.entries(space)) expect(within(d, t[name]), `${id}.${name}=${t[name]}`).toBe(true)
      // Seeded: the same draws again; another seed draws others.
      expect(trialSettings(id, own, 6, 3)).toEqual(trials)
      expect(trialSettings(id, own, 6, 4)).not.toEqual(trials)
    }
    expect(() => trialSettings('retrain', {}, 4, 0)).toThrow(/not tuned/)
  })

  it('the validation split is clean retain samples in neither of the trial’s sets; U×H hides 30 % of the discovered set as undiscovered', () => {
    const n = 1000
    const train = { images: new Float32Array(n * 4), labels: Int32Array.from({ length: n }, (_, i) => i % 5), count: n }
    const spec = parseTaskSpec({
      name: 't',
      dataset: { id: 'x' },
      model: { arch: 'mlp' },
      train: { epochs: 1, learningRate: 0.1 },
      task: { kind: 'corrupted', corruption: 'random-swap', corruptedCount: 100, discoveryRate: 0.5 },
      methods: ['finetune']
    })
    const taskData = prepareTaskData(spec.task, train, [2, 2, 1], 5, 0)
    const t = makeTuningSplit(taskData, { validationFraction: 0.1, holdOutDiscovered: true, seed: 0 })
    const corrupted = new Set(taskData.corruption!.indices)
    const forget = new Set(t.split.forget)
    const retain = new Set(t.split.retain)
    expect(t.validation.length).toBe(Math.round(0.1 * taskData.split.retain.length))
    for (const i of t.validation) {
      expect(corrupted.has(i)).toBe(false)
      expect(forget.has(i) || retain.has(i)).toBe(false)
    }
    expect(t.heldOut.length).toBe(15)
    for (const i of t.heldOut) {
      expect(forget.has(i)).toBe(false)
      // Still trained on, with its corrupted label, as an undiscovered sample is.
      expect(retain.has(i)).toBe(true)
    }
    expect(t.split.forget.length + t.heldOut.length).toBe(taskData.split.forget.length)
    expect(() => makeTuningSplit(taskData, { validationFraction: 0.3, holdOutDiscovered: false, seed: 0 })).not.toThrow()
  })
})
