import { describe, expect, it } from 'vitest'
import { referenceHalf } from '@main/engine/data/reference-halves'
import { attackModel, comparedAuc, fitReferences, outGaussians, type ReferenceSignals, uliraOf } from '@shared/privacy/attacks'
import { retrainBand, retrainsOf, withinRetrain } from '@shared/privacy/retrain-band'
import { runRecord } from '../helpers/run-record'

const f64 = (v: number[]) => Float64Array.from(v)

describe('attack assembly', () => {
  it('pools one variance over the samples under 16 OUT models, by hand', () => {
    // Sample 0: [1, 3] (mean 2, squares 2, 1 dof); sample 1: [0, 4, 8] (mean 4, squares 32, 2 dof); sample 2: one value.
    const fits = outGaussians([[1, 3], [0, 4, 8], [7]])
    const pooled = Math.sqrt((2 + 32) / 3)
    expect(fits.map((g) => g!.mean)).toEqual([2, 4, 7])
    for (const g of fits) expect(g!.std).toBeCloseTo(pooled, 12)
    // With 16 or more OUT models per sample, each keeps its own deviation.
    const many = outGaussians([Array.from({ length: 16 }, (_, i) => i), Array.from({ length: 16 }, () => 1)])
    expect(many[0]!.std).toBeCloseTo(Math.sqrt(((16 * 16 - 1) / 12) * 1), 9)
    expect(many[1]!.std).toBe(1e-3)
  })

  it('fits each member only on the reference models that did not train on it', () => {
    const layout = { members: 1, nonMembers: 1, population: 1 }
    // Reference 0 trained on the member (IN), reference 1 did not.
    const refs: ReferenceSignals[] = [
      { index: 0, phi: f64([9, 1, 1]), p: f64([0.9, 0.5, 0.5]), trainedOn: Uint8Array.from([1]) },
      { index: 1, phi: f64([2, 3, 1]), p: f64([0.4, 0.7, 0.5]), trainedOn: Uint8Array.from([0]) }
    ]
    const fits = fitReferences(refs, layout)
    expect(fits.lira[0]!.mean).toBe(2)
    // Test samples are read on one model of the pair, alternating: sample 1 on reference 1, sample 2 on reference 0.
    expect(fits.lira[1]!.mean).toBe(3)
    expect(fits.lira[2]!.mean).toBe(1)
    // RMIA's marginal of the member from the OUT model only: ½((1 + a)·0.4 + (1 − a)), a = 0.3.
    expect(fits.marginal[0]).toBeCloseTo(0.5 * (1.3 * 0.4 + 0.7), 12)
    expect(fits.marginal[1]).toBeCloseTo(0.5 * (1.3 * 0.7 + 0.7), 12)
  })

  it('separates members the target is far more confident on, and not when it is not', () => {
    const n = 50
    const layout = { members: n, nonMembers: n, population: n }
    const ref = (k: number): ReferenceSignals => ({
      index: k,
      phi: f64(Array.from({ length: 3 * n }, (_, s) => ((s * 7 + k) % 5) - 2)),
      p: f64(Array.from({ length: 3 * n }, (_, s) => 0.4 + 0.02 * ((s + k) % 5))),
      trainedOn: Uint8Array.from({ length: n }, (_, s) => (s + k) % 2)
    })
    const fits = fitReferences([0, 1, 2, 3].map(ref), layout)
    const leaky = {
      phi: f64(Array.from({ length: 3 * n }, (_, s) => (s < n ? 8 : 0))),
      p: f64(Array.from({ length: 3 * n }, (_, s) => (s < n ? 0.99 : 0.45)))
    }
    const a = attackModel(leaky, fits, 1)
    expect(a.metrics.liraAuc).toBe(1)
    expect(a.metrics.liraTprAt1Fpr).toBe(1)
    // RMIA ranks against the population: a non-member whose marginal is lowest ties the members at 1.
    expect(a.metrics.rmiaAuc).toBeGreaterThan(0.85)
    const [lo, hi] = a.metrics['ci95.liraAuc'] as number[]
    expect(lo).toBeLessThanOrEqual(1)
    expect(hi).toBe(1)
    // The same outputs on members and non-members: nothing to find.
    const flat = { phi: f64(Array.from({ length: 3 * n }, () => 0)), p: f64(Array.from({ length: 3 * n }, () => 0.5)) }
    expect(Math.abs((attackModel(flat, fits, 1).metrics.liraAuc as number) - 0.5)).toBeLessThan(0.15)
  })

  it('widens the U-LiRA interval by how much the held-out retrains disagree', () => {
    const a = [1, 2, 3, 4]
    const b = [0, 0, 0, 0]
    const agree = comparedAuc(
      [
        { a, b },
        { a, b }
      ],
      3
    )
    expect(agree.auc).toBe(1)
    const disagree = comparedAuc(
      [
        { a, b },
        { a: b, b: a }
      ],
      3
    )
    expect(disagree.auc).toBe(0.5)
    const width = (i: [number, number] | null) => i![1] - i![0]
    expect(width(disagree.interval)).toBeGreaterThan(width(agree.interval) + 0.5)
  })

  it('reads a copy of a retrain as like retraining, a distant model as not, and needs two retrains', () => {
    const r1 = f64([0, 1, 2, 3, 4, 5, 6, 7])
    const r2 = f64([0.5, 1.2, 1.8, 3.3, 4.1, 4.7, 6.2, 7.1])
    const r3 = f64([-0.4, 0.8, 2.3, 2.9, 3.7, 5.4, 5.8, 6.8])
    const far = f64([9, 9, 9, 9, 9, 9, 9, 9])
    expect(uliraOf([r1, r2], far, 1).metrics.ulira).toBe(1)
    expect(uliraOf([r1], far, 1)).toEqual({ metrics: {}, distances: null })
    const copy = uliraOf([r1, r2, r3], r1, 1).metrics.ulira as number
    expect(copy).toBeLessThan(1)
  })
})

describe('reference halves', () => {
  it('pairs models on complementary halves, the same whatever K', () => {
    const a = referenceHalf(101, 7, 4)
    const b = referenceHalf(101, 7, 5)
    expect(a.indices.length + b.indices.length).toBe(101)
    for (let i = 0; i < 101; i++) expect(a.trainedOn[i]! + b.trainedOn[i]!).toBe(1)
    expect(referenceHalf(101, 7, 4).sha256).toBe(a.sha256)
    expect(referenceHalf(101, 7, 2).sha256).not.toBe(a.sha256)
    expect(referenceHalf(101, 8, 4).sha256).not.toBe(a.sha256)
  })
})

describe('retrain band', () => {
  const retrain = (v: number, replica: number | null, ci?: [number, number]) =>
    runRecord('retrain', 0, { liraAuc: v, ...(ci ? { 'ci95.liraAuc': ci } : {}) }, { replica })

  it('is mean ± 2 SD of 3 or more retrains, widened by their own intervals', () => {
    const band = retrainBand([retrain(0.5, null), retrain(0.52, 1), retrain(0.54, 2)], 'liraAuc')!
    expect(band.mean).toBeCloseTo(0.52, 12)
    expect(band.low).toBeCloseTo(0.52 - 2 * 0.02, 12)
    expect(band.high).toBeCloseTo(0.52 + 2 * 0.02, 12)
    const wide = retrainBand([retrain(0.5, null, [0.4, 0.6]), retrain(0.52, 1), retrain(0.54, 2)], 'liraAuc')!
    expect(wide.low).toBe(0.4)
    expect(wide.high).toBeCloseTo(0.6, 12)
    expect(withinRetrain(0.59, wide)).toBe(true)
    expect(withinRetrain(0.61, wide)).toBe(false)
  })

  it('spans lowest to highest with fewer than 3 retrains, and is absent without a measured retrain', () => {
    const band = retrainBand([retrain(0.5, null), retrain(0.6, 1)], 'liraAuc')!
    expect([band.low, band.high]).toEqual([0.5, 0.6])
    expect(retrainBand([runRecord('retrain', 0, {})], 'liraAuc')).toBeNull()
    expect(withinRetrain(0.5, null)).toBeNull()
  })

  it('takes the finished retrains of one cell and seed', () => {
    const runs = [
      retrain(0.5, null),
      retrain(0.6, 1),
      runRecord('retrain', 1, { liraAuc: 0.9 }),
      runRecord('finetune', 0, { liraAuc: 0.7 })
    ]
    expect(retrainsOf(runs, '', 0).map((r) => r.metrics.liraAuc)).toEqual([0.5, 0.6])
  })
})
