import { describe, expect, it } from 'vitest'
import type { AttackScores } from '@shared/api/contract'
import {
  histogramBins,
  LOG_AXIS_MIN,
  logRocPoints,
  mostExposed,
  rocOption,
  rocPoints,
  scoreHistogramOption,
  tprAt
} from '@shared/charts/privacy-charts'
import { rocAuc, tprAtFpr } from '@shared/privacy/membership'
import { createRng } from '@shared/random'

/** The area under ROC vertices by the trapezoid rule. */
const area = (roc: Array<{ fpr: number; tpr: number }>) =>
  roc.slice(1).reduce((a, p, i) => a + ((p.fpr - roc[i]!.fpr) * (p.tpr + roc[i]!.tpr)) / 2, 0)

/** n scores drawn from the same uniform generator. */
const uniform = (n: number, seed: number) => {
  const rng = createRng(seed)
  return Array.from({ length: n }, () => rng())
}

const scored = (members: number[], nonMembers: number[]): AttackScores => ({
  members: members.map((_, i) => 100 + i),
  nonMembers: nonMembers.map((_, i) => i),
  lira: { members, nonMembers },
  rmia: { members, nonMembers },
  ulira: null
})

describe('ROC points of an attack', () => {
  it('reach TPR 1 at every FPR from 0 on when members and non-members are perfectly separated', () => {
    const members = [0.9, 0.95, 0.99, 0.97]
    const nonMembers = [0.1, 0.2, 0.3, 0.4, 0.5]
    const roc = rocPoints(members, nonMembers)
    expect(roc[0]).toEqual({ fpr: 0, tpr: 0 })
    expect(roc[roc.length - 1]).toEqual({ fpr: 1, tpr: 1 })
    for (let k = 0; k <= nonMembers.length; k++) expect(tprAt(roc, k / nonMembers.length)).toBe(1)
    expect(area(roc)).toBeCloseTo(1, 12)
  })

  it('stay near the diagonal when both groups come from one distribution', () => {
    const roc = rocPoints(uniform(2000, 1), uniform(2000, 2))
    for (const p of roc) expect(Math.abs(p.tpr - p.fpr)).toBeLessThan(0.06)
    expect(area(roc)).toBeCloseTo(0.5, 1)
  })

  it('agree with the attack metrics: the area is the AUC (ties half) and the TPR at 1 % FPR is the one the metric reads', () => {
    const rng = createRng(7)
    // Scores rounded to a few values, so ties between members and non-members are common.
    const members = Array.from({ length: 300 }, () => Math.round((rng() + 0.3) * 10) / 10)
    const nonMembers = Array.from({ length: 400 }, () => Math.round(rng() * 10) / 10)
    const roc = rocPoints(members, nonMembers)
    expect(area(roc)).toBeCloseTo(rocAuc(members, nonMembers)!, 10)
    const continuous = { m: uniform(500, 3).map((v) => v + 0.2), n: uniform(500, 4) }
    const curve = rocPoints(continuous.m, continuous.n)
    expect(tprAt(curve, 0.01)).toBeCloseTo(tprAtFpr(continuous.m, continuous.n, 0.01)!, 10)
  })

  it('is empty without members or non-members, and leaves NaN scores out', () => {
    expect(rocPoints([], [0.1])).toEqual([])
    expect(rocPoints([0.1], [])).toEqual([])
    expect(rocPoints([0.9, NaN], [0.1])).toEqual([
      { fpr: 0, tpr: 0 },
      { fpr: 0, tpr: 1 },
      { fpr: 1, tpr: 1 }
    ])
  })
})

describe('log-axis ROC points', () => {
  it('put zero rates on the axis minimum and keep every point within [min, 1]', () => {
    const points = logRocPoints(rocPoints([0.9, 0.8, 0.2], [0.1, 0.5, 0.85]))
    expect(points[0]).toEqual([LOG_AXIS_MIN, LOG_AXIS_MIN])
    expect(points[points.length - 1]).toEqual([1, 1])
    for (const [x, y] of points) {
      expect(x).toBeGreaterThanOrEqual(LOG_AXIS_MIN)
      expect(y).toBeGreaterThanOrEqual(LOG_AXIS_MIN)
      expect(x).toBeLessThanOrEqual(1)
      expect(y).toBeLessThanOrEqual(1)
    }
  })

  it('thin a long curve without moving it: monotone, and within the resolution of the full curve', () => {
    const roc = rocPoints(
      uniform(20000, 5).map((v) => v + 0.1),
      uniform(20000, 6)
    )
    const points = logRocPoints(roc)
    expect(points.length).toBeLessThan(1000)
    for (let i = 1; i < points.length; i++) {
      expect(points[i]![0]).toBeGreaterThanOrEqual(points[i - 1]![0])
      expect(points[i]![1]).toBeGreaterThanOrEqual(points[i - 1]![1])
    }
    // Every kept point is a vertex of the full curve (clamped), so the drawing never invents a rate.
    const full = new Set(logRocPoints(roc, LOG_AXIS_MIN, 0).map((p) => p.join()))
    for (const p of points) expect(full.has(p.join())).toBe(true)
  })
})

describe('histogram bins', () => {
  it('count every score once, the range top in the last bin and infinities in the outer bins, NaN in none', () => {
    const members = [0, 0.5, 1, 1, Infinity]
    const nonMembers = [0.2, 0.25, -Infinity, NaN]
    const h = histogramBins([members, nonMembers], 10)
    expect(h.edges).toHaveLength(11)
    expect(h.edges[0]).toBe(0)
    expect(h.edges[10]).toBe(1)
    expect(h.counts[0]!.reduce((a, b) => a + b, 0)).toBe(5)
    expect(h.counts[1]!.reduce((a, b) => a + b, 0)).toBe(3)
    expect(h.counts[0]![9]).toBe(3)
    expect(h.counts[1]![0]).toBe(1)
    expect(h.counts[1]![2]).toBe(2)
  })

  it('share bins between groups, and give one value a bin of its own width', () => {
    const many = uniform(1000, 8)
    const h = histogramBins([many, many.map((v) => v * 2)], 20)
    expect(h.counts.map((c) => c.reduce((a, b) => a + b, 0))).toEqual([1000, 1000])
    // The first group lies in the lower half of the shared range.
    expect(h.counts[0]!.slice(11).every((c) => c === 0)).toBe(true)
    const one = histogramBins([[0.3, 0.3]], 4)
    expect(one.edges[0]).toBeLessThan(0.3)
    expect(one.edges[4]).toBeGreaterThan(0.3)
    expect(one.counts[0]!.reduce((a, b) => a + b, 0)).toBe(2)
  })
})

describe('the Privacy tab charts', () => {
  const runs = [
    { runId: 'o', method: 'original', replica: null, scores: scored([0.9, 0.8], [0.1, 0.2]) },
    { runId: 'r', method: 'retrain', replica: null, scores: scored([0.4, 0.6], [0.5, 0.3]) },
    { runId: 'r1', method: 'retrain', replica: 1, scores: scored([0.5, 0.2], [0.4, 0.6]) },
    { runId: 'f', method: 'finetune', replica: null, scores: scored([0.7, 0.3], [0.2, 0.6]) }
  ]

  it('draw one line per model on log axes, the retrains as one grey band, and the diagonal', () => {
    const option = rocOption(runs, 'lira') as {
      xAxis: { type: string; min: number; max: number }
      yAxis: { type: string }
      series: Array<{ name: string; color: string; lineStyle: { type?: string } }>
    }
    expect(option.xAxis).toMatchObject({ type: 'log', min: LOG_AXIS_MIN, max: 1 })
    expect(option.yAxis.type).toBe('log')
    const names = option.series.map((s) => s.name)
    expect(names).toEqual(['chance (TPR = FPR)', 'retrain band (2)', 'retrain band (2)', 'original', 'finetune'])
    expect(option.series[0]!.lineStyle.type).toBe('dashed')
    expect(new Set(option.series.slice(1, 3).map((s) => s.color)).size).toBe(1)
    expect(rocOption([], 'rmia')).toBeNull()
  })

  it('overlay members and non-members on shared bins', () => {
    const option = scoreHistogramOption(runs[0]!, 'rmia', 'original', { bins: 5 }) as {
      xAxis: { data: string[] }
      series: Array<{ name: string; data: number[]; barGap: string }>
    }
    expect(option.xAxis.data).toHaveLength(5)
    expect(option.series.map((s) => s.data.reduce((a, b) => a + b, 0))).toEqual([2, 2])
    expect(option.series[0]!.barGap).toBe('-100%')
  })

  it('rank the most exposed forget samples by LiRA score', () => {
    expect(mostExposed(scored([0.2, 0.9, 0.5], [0.1]), 2)).toEqual([
      { index: 101, score: 0.9 },
      { index: 102, score: 0.5 }
    ])
  })
})
