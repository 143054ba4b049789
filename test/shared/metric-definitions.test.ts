import { describe, expect, it } from 'vitest'
import {
  accuracyOn,
  attackSuccessRate,
  deltaToRetrain,
  fitMembershipThreshold,
  gapToRetrain,
  lossThresholdAuc,
  miaEfficacy,
  perClassAccuracy,
  tugOfWar
} from '@shared/metrics/definitions'

describe('metric definitions on hand-built cases', () => {
  it('accuracy, on a subset and on an empty one', () => {
    expect(accuracyOn([1, 2, 3, 4], [1, 0, 3, 0])).toBe(0.5)
    expect(accuracyOn([1, 2, 3, 4], [1, 0, 3, 0], [0, 2])).toBe(1)
    expect(accuracyOn([1, 2], [1, 2], [])).toBeNull()
  })

  it('per-class accuracy, null for a class without samples', () => {
    expect(perClassAccuracy([0, 1, 1, 2], [0, 1, 2, 2], 4)).toEqual([1, 1, 0.5, null])
  })

  it('attack success ignores images of the target class', () => {
    // Clean labels 0,0,1,2,3 with target 0: three non-target images, two predicted as 0.
    expect(attackSuccessRate([0, 0, 0, 2, 0], [0, 0, 1, 2, 3], 0)).toBeCloseTo(2 / 3)
  })

  it('MIA efficacy: a perfectly separable attack calls low-confidence forget samples non-members', () => {
    const members = [0.9, 0.95, 0.99]
    const nonMembers = [0.2, 0.3, 0.4]
    const t = fitMembershipThreshold(members, nonMembers)
    expect(t).toBeGreaterThan(0.4)
    expect(t).toBeLessThan(0.9)
    expect(miaEfficacy(members, nonMembers, [0.1, 0.5, 0.97, 0.98])).toBe(0.5)
    expect(miaEfficacy(members, nonMembers, [])).toBeNull()
  })

  it('loss-threshold AUC: 1 when every forget loss is below every test loss, 0.5 when identical', () => {
    expect(lossThresholdAuc([0.1, 0.2], [0.5, 0.6, 0.7])).toBe(1)
    expect(lossThresholdAuc([0.9, 1], [0.1, 0.2])).toBe(0)
    expect(lossThresholdAuc([0.3, 0.3], [0.3, 0.3])).toBe(0.5)
    // One of four pairs reversed: forget {0.1, 0.4}, test {0.2, 0.5} → pairs below: (0.1<0.2, 0.1<0.5, 0.4<0.5) = 3/4.
    expect(lossThresholdAuc([0.1, 0.4], [0.2, 0.5])).toBe(0.75)
  })

  it('tug-of-war and gap to retrain', () => {
    const u = { forgetAccuracy: 0.5, retainAccuracy: 0.9, testAccuracy: 0.8, miaEfficacy: 0.3 }
    const r = { forgetAccuracy: 0.7, retainAccuracy: 0.9, testAccuracy: 0.85, miaEfficacy: 0.5 }
    expect(tugOfWar(u, r)).toBeCloseTo(0.8 * 1 * 0.95)
    expect(tugOfWar(r, r)).toBe(1)
    expect(gapToRetrain(u, r)).toBeCloseTo((0.2 + 0 + 0.05 + 0.2) / 4)
    expect(gapToRetrain({ ...u, miaEfficacy: null }, r)).toBeNull()
    expect(deltaToRetrain({ ...u, seconds: 3 }, { ...r, seconds: 9 }, ['seconds'])).toEqual({
      forgetAccuracy: expect.closeTo(-0.2),
      retainAccuracy: 0,
      testAccuracy: expect.closeTo(-0.05),
      miaEfficacy: expect.closeTo(-0.2)
    })
  })
})
