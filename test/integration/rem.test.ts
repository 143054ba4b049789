import { describe, expect, it } from 'vitest'
import { runAuditExpectingDone, useAuditServices } from '../helpers/audit-services'

const services = useAuditServices('rem')

const base = {
  dataset: { id: 'fashion-mnist', trainLimit: 3000, testLimit: 500 },
  model: { arch: 'mlp' },
  train: { epochs: 5, batchSize: 64, learningRate: 0.05 },
  seeds: [0]
}

async function audit(spec: Record<string, unknown>) {
  return (await runAuditExpectingDone(services, { ...base, ...spec })).metrics
}

describe('REM on corrupted data', () => {
  it('poison at discovery 0.5: attack success ≤ 0.2 with utility within 3 points of the original; the model keeps its architecture', async () => {
    const m = await audit({
      name: 'rem poison',
      task: { kind: 'corrupted', corruption: 'poison', corruptedCount: 150, discoveryRate: 0.5 },
      methods: ['rem']
    })
    expect(m.original!.attackSuccessRate).toBeGreaterThanOrEqual(0.9)
    expect(m.rem!.attackSuccessRate).toBeLessThanOrEqual(0.2)
    expect(Math.abs(m.rem!.utility - m.original!.utility)).toBeLessThanOrEqual(0.03)
    // Undiscovered poisoned samples heal too: the trigger, not the known samples, was removed.
    expect(m.rem!.healedUndiscovered).toBeGreaterThan(0.5)
    // ...and not by dropping the target class: attack success is 0 too when a class is never predicted.
    expect(m.rem!.targetClassAccuracy).toBeGreaterThanOrEqual(m.original!.targetClassAccuracy - 0.1)
    // The official behaviours are the defaults: no round fell back, and Flush ran with batch statistics.
    expect(m.rem!.remFallback).toBe(0)
    // The redirection log: round 0 is the original (D_f fully memorised), then the original channels let go.
    expect(m.rem!.remForgetAccuracyDrop[0]).toBe(1)
    expect(Math.min(...m.rem!.remForgetAccuracyDrop)).toBeLessThanOrEqual(0.2)
    expect(m.rem!.remForgetAccuracyMask).toHaveLength(11)
  }, 400_000)

  // On a small CNN, REM at its defaults (the official settings) removes a poison trigger by deleting the
  // target class: every discovered sample is labelled with it, and the Flush lowers the class as a whole.
  // Tuned by U×H on held-out data (validation accuracy sees the lost class), it keeps the class.
  it('poison on cnn-small, tuned: heals the triggered images with the target class kept and utility within 2 points', async () => {
    const m = await audit({
      name: 'rem poison tuned',
      dataset: { id: 'fashion-mnist', trainLimit: 2000, testLimit: 500 },
      model: { arch: 'cnn-small' },
      train: { epochs: 4, batchSize: 128, learningRate: 0.05 },
      task: { kind: 'corrupted', corruption: 'poison', corruptedCount: 60, discoveryRate: 0.5, trigger: { targetClass: 2 } },
      methods: ['retrain', 'rem'],
      tuning: { trials: 4 }
    })
    expect(m.rem!.healedTrain).toBeGreaterThanOrEqual(m.retrain!.healedTrain + 0.2)
    expect(m.rem!.attackSuccessRate).toBeLessThanOrEqual(0.1)
    expect(m.rem!.targetClassAccuracy).toBeGreaterThanOrEqual(m.original!.targetClassAccuracy / 2)
    expect(m.rem!.utility).toBeGreaterThanOrEqual(m.original!.utility - 0.02)
    expect(m.rem!.tuningTrials).toBe(4)
  }, 600_000)

  // The original must have memorised the noisy labels for there to be anything to heal: 60 epochs on
  // 1,000 images fit them, where 20 epochs on 2,000 left forget accuracy at 0.21 and made the comparison
  // meaningless. The rate decays (cosine): at a constant rate the last step lands anywhere in the loss's
  // noise band (seed 0 on native ended at forget 0.76, test 0.65); decayed, seeds 0-3 end at forget
  // 1.0, 1.0, 0.88-0.90, 1.0 on both wasm and native.
  it('random swap at discovery 0.5: REM heals more of the corrupted set than finetune, the undiscovered half included', async () => {
    const m = await audit({
      name: 'rem random swap',
      dataset: { id: 'fashion-mnist', trainLimit: 1000, testLimit: 500 },
      train: { epochs: 60, batchSize: 64, learningRate: 0.05, schedule: 'cosine' },
      task: { kind: 'corrupted', corruption: 'random-swap', corruptedCount: 100, discoveryRate: 0.5 },
      methods: ['rem', 'finetune']
    })
    expect(m.original!.forgetAccuracy).toBeGreaterThanOrEqual(0.8)
    expect(m.rem!.forgetAccuracy).toBeLessThanOrEqual(0.25)
    expect(m.rem!.healedTrain).toBeGreaterThan(m.finetune!.healedTrain + 0.2)
    expect(m.rem!.healedUndiscovered).toBeGreaterThan(m.finetune!.healedUndiscovered)
    expect(m.rem!.utility).toBeGreaterThanOrEqual(m.original!.utility - 0.03)
  }, 400_000)

  it('the baselines beside REM: NPO and gradient ascent stop once D_f is forgotten; Potion dampens few parameters', async () => {
    const m = await audit({
      name: 'baselines',
      task: { kind: 'corrupted', corruption: 'poison', corruptedCount: 150, discoveryRate: 0.5 },
      methods: ['npo', 'gradient-ascent', 'potion']
    })
    for (const id of ['npo', 'gradient-ascent']) {
      expect(m[id]!.forgetAccuracy, id).toBeLessThanOrEqual(0.2)
      expect(m[id]!.bestEpoch, id).toBeGreaterThan(0)
    }
    expect(m.potion!.forgetAccuracy).toBeLessThanOrEqual(0.2)
    expect(m.potion!.attackSuccessRate).toBeLessThan(m.original!.attackSuccessRate / 2)
    expect(m.potion!.paramsChanged).toBeLessThan(0.1)
    expect(m.potion!.potionTries).toBeGreaterThanOrEqual(1)
  }, 400_000)
})
