/**
 * ROC curves of a membership attack from its per-example scores (higher = more likely a member),
 * read on log-log axes as the LiRA paper does, where the low false-positive end shows.
 */

export type RocPoint = [fpr: number, tpr: number]

/** One point per distinct score threshold, from (0, 0) to (1, 1); tied scores move both rates at once. */
export function rocCurve(members: readonly number[], nonMembers: readonly number[]): RocPoint[] {
  if (!members.length || !nonMembers.length) return []
  const scored = [...members.map((s) => ({ s, member: true })), ...nonMembers.map((s) => ({ s, member: false }))].sort((a, b) => b.s - a.s)
  const points: RocPoint[] = [[0, 0]]
  let tp = 0
  let fp = 0
  for (let i = 0; i < scored.length; i++) {
    if (scored[i]!.member) tp++
    else fp++
    if (i === scored.length - 1 || scored[i + 1]!.s !== scored[i]!.s) points.push([fp / nonMembers.length, tp / members.length])
  }
  return points
}

/** The TPR a curve reaches without exceeding `fpr` false positives. */
export function tprWithin(curve: readonly RocPoint[], fpr: number): number {
  let best = 0
  for (const [f, t] of curve) if (f <= fpr) best = Math.max(best, t)
  return best
}

/**
 * The lowest rate a log axis shows: the decade below one sample's share. A rate of 0 cannot be drawn
 * on a log axis, so it is drawn there.
 */
export function logFloor(samples: number): number {
  return 10 ** Math.floor(Math.log10(1 / Math.max(2, samples)))
}

/** `count` rates spaced evenly on a log axis from `floor` to 1. */
export function logGrid(floor: number, count = 40): number[] {
  const from = Math.log10(floor)
  return Array.from({ length: count }, (_, i) => 10 ** (from + (-from * i) / (count - 1)))
}

/** Per grid rate, the lowest and highest TPR over several curves (the retrains' band). */
export function curveBand(curves: readonly RocPoint[][], grid: readonly number[]): Array<{ fpr: number; low: number; high: number }> {
  return grid.map((fpr) => {
    const tprs = curves.map((c) => tprWithin(c, fpr))
    return { fpr, low: Math.min(...tprs), high: Math.max(...tprs) }
  })
}
