import { describe, expect, it } from 'vitest'
import {
  bootstrapInterval,
  fitGaussian,
  liraScore,
  rmiaMarginal,
  rmiaScores,
  rocAuc,
  scaledConfidence,
  tprAtFpr
} from '../../src/shared/privacy/membership'

describe('membership-inference statistics, against hand computations', () => {
  it("scales the true class's confidence as log(p / (1 − p)), finite where p rounds to 1", () => {
    // p0 = e² / (e² + 2): log(p0 / (1 − p0)) = 2 − ln 2.
    expect(scaledConfidence([2, 0, 0], 0)).toBeCloseTo(2 - Math.LN2, 12)
    expect(scaledConfidence([0, 2, 0], 0)).toBeCloseTo(-2 - Math.log(1 + Math.exp(-2)), 12)
    expect(scaledConfidence([1000, 0, 0], 0)).toBeCloseTo(1000 - Math.LN2, 9)
  })

  it('fits a Gaussian to a few models, with a floor on the deviation', () => {
    const g = fitGaussian([1, 2, 3])!
    expect(g.mean).toBe(2)
    expect(g.std).toBeCloseTo(Math.sqrt(2 / 3), 12)
    expect(fitGaussian([5, 5])).toEqual({ mean: 5, std: 1e-3 })
    expect(fitGaussian([])).toBeNull()
  })

  it("scores LiRA offline as the target's distance above the OUT models, in their deviations", () => {
    expect(liraScore(3, { mean: 1, std: 1 })).toBe(2)
    expect(liraScore(1, { mean: 1, std: 0.5 })).toBe(0)
    expect(liraScore(0, { mean: 1, std: 0.25 })).toBe(-4)
    // Far beyond where Φ would round to 1, two exposed samples still rank apart.
    expect(liraScore(40, { mean: 0, std: 1 })).toBeGreaterThan(liraScore(30, { mean: 0, std: 1 }))
  })

  it("computes RMIA's offline marginal and its score as the share of population samples dominated", () => {
    // ½((1 + 0.3)·0.3 + 0.7)
    expect(rmiaMarginal([0.2, 0.4], 0.3)).toBeCloseTo(0.545, 12)
    const half = [0.5, 0.5, 0.5, 0.5]
    // Population ratios p/Pr: 1, 0.5, 1.5, 1.
    const population = { p: [0.5, 0.25, 0.75, 0.5], marginal: half }
    const target = { p: [0.9, 0.1, 0.5], marginal: [0.5, 0.5, 0.5] }
    // Ratios 1.8 (beats all four), 0.2 (none), 1 (ties count: 0.5, 1, 1).
    expect(rmiaScores(target, population)).toEqual([1, 0, 0.75])
    // γ = 1.5: 1.8 / 1.5 = 1.2 beats 0.5, 1, 1.
    expect(rmiaScores(target, population, 1.5)[0]).toBe(0.75)
  })

  it('reads an attack as AUC with ties counting half, and TPR at a fixed FPR where ties never count', () => {
    // Pairs: 3>1, 3>2, 2>1, 2=2 → 3.5 of 4.
    expect(rocAuc([3, 2], [1, 2])).toBe(0.875)
    expect(rocAuc([], [1])).toBeNull()
    const members = [5, 4, 3, 2]
    const nonMembers = [4, 1, 1, 1, 1, 1, 1, 1, 1, 1]
    // 10 % of 10 non-members may pass: the threshold is the second highest, 1; every member is above it.
    expect(tprAtFpr(members, nonMembers, 0.1)).toBe(1)
    // 5 %: none may pass, the threshold is 4, and the member tied at 4 is not counted.
    expect(tprAtFpr(members, nonMembers, 0.05)).toBe(0.25)
    expect(tprAtFpr(members, nonMembers, 1)).toBe(1)
  })

  it('gives a reproducible bootstrap interval around the estimate, and a point where nothing varies', () => {
    const members = [0.9, 0.8, 0.85, 0.4, 0.95, 0.7]
    const nonMembers = [0.3, 0.5, 0.45, 0.6, 0.2, 0.75]
    const point = rocAuc(members, nonMembers)!
    const a = bootstrapInterval(members, nonMembers, rocAuc, { seed: 7, resamples: 500 })!
    const b = bootstrapInterval(members, nonMembers, rocAuc, { seed: 7, resamples: 500 })!
    expect(a).toEqual(b)
    expect(a[0]).toBeLessThanOrEqual(point)
    expect(a[1]).toBeGreaterThanOrEqual(point)
    expect(a[1] - a[0]).toBeGreaterThan(0.05)
    expect(bootstrapInterval([1, 1, 1], [1, 1, 1], rocAuc, { seed: 1, resamples: 50 })).toEqual([0.5, 0.5])
    expect(bootstrapInterval(members, nonMembers, rocAuc, { seed: 8, resamples: 500 })).not.toEqual(a)
  })
})
