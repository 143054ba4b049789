/**
 * The audit metrics as pure functions of predictions, labels and scores. Names match the papers'
 * (REM for corrupted data, SalUn for MIA efficacy, RUM for ToW). A metric that is undefined on
 * the data (an empty set) is null, never NaN, so it survives JSON and SQLite unchanged.
 */

export type MaybeNumber = number | null

/** Share of `indices` (default: all) where pred equals label. */
export function accuracyOn(pred: ArrayLike<number>, labels: ArrayLike<number>, indices?: ArrayLike<number>): MaybeNumber {
  const n = indices ? indices.length : pred.length
  if (n === 0) return null
  let correct = 0
  for (let k = 0; k < n; k++) {
    const i = indices ? indices[k]! : k
    if (pred[i] === labels[i]) correct++
  }
  return correct / n
}

export function perClassAccuracy(pred: ArrayLike<number>, labels: ArrayLike<number>, numClasses: number): MaybeNumber[] {
  const correct = new Array<number>(numClasses).fill(0)
  const total = new Array<number>(numClasses).fill(0)
  for (let i = 0; i < pred.length; i++) {
    const y = labels[i]!
    total[y]!++
    if (pred[i] === y) correct[y]!++
  }
  return total.map((t, c) => (t ? correct[c]! / t : null))
}

/** Counts of (true class, predicted class), row-major: entry y·C + p counts samples of class y predicted as p. */
export function confusionCounts(pred: ArrayLike<number>, labels: ArrayLike<number>, numClasses: number): number[] {
  const counts = new Array<number>(numClasses * numClasses).fill(0)
  for (let i = 0; i < pred.length; i++) counts[labels[i]! * numClasses + pred[i]!]!++
  return counts
}

/** Indices whose label is (or is not) in `classes`. */
export function indicesWhere(labels: ArrayLike<number>, keep: (label: number) => boolean): Int32Array {
  const out: number[] = []
  for (let i = 0; i < labels.length; i++) if (keep(labels[i]!)) out.push(i)
  return Int32Array.from(out)
}

/** Of the triggered images whose true class is not the target, the share classified as the target. */
export function attackSuccessRate(predOnTriggered: ArrayLike<number>, cleanLabels: ArrayLike<number>, target: number): MaybeNumber {
  let hit = 0
  let n = 0
  for (let i = 0; i < cleanLabels.length; i++) {
    if (cleanLabels[i] === target) continue
    n++
    if (predOnTriggered[i] === target) hit++
  }
  return n ? hit / n : null
}

/**
 * The member/non-member threshold on a score (higher = member) that best separates the two
 * groups, weighting both equally. A 1-D stand-in for SalUn's RBF SVC on the same feature.
 */
export function fitMembershipThreshold(members: ArrayLike<number>, nonMembers: ArrayLike<number>): number {
  const points = [...Array.from(members, (v) => ({ v, m: 1 })), ...Array.from(nonMembers, (v) => ({ v, m: 0 }))].sort((a, b) => a.v - b.v)
  const wm = 1 / Math.max(members.length, 1)
  const wn = 1 / Math.max(nonMembers.length, 1)
  // Threshold below everything: all called members.
  let score = members.length * wm
  let best = score
  let threshold = points.length ? points[0]!.v : 0
  for (let k = 0; k < points.length; k++) {
    score += points[k]!.m ? -wm : wn
    const next = points[k + 1]
    if (next && next.v === points[k]!.v) continue
    if (score > best) {
      best = score
      threshold = next ? (points[k]!.v + next.v) / 2 : points[k]!.v + 1e-9
    }
  }
  return threshold
}

/** SalUn's MIA efficacy: share of forget samples the fitted attack calls non-members. Higher = more forgotten. */
export function miaEfficacy(retainScores: ArrayLike<number>, testScores: ArrayLike<number>, forgetScores: ArrayLike<number>): MaybeNumber {
  if (!forgetScores.length || !retainScores.length || !testScores.length) return null
  const t = fitMembershipThreshold(retainScores, testScores)
  let nonMember = 0
  for (let i = 0; i < forgetScores.length; i++) if (forgetScores[i]! < t) nonMember++
  return nonMember / forgetScores.length
}

/** AUC of a loss-threshold attack: P(a forget loss is below a test loss), ties counting half. 0.5 = indistinguishable. */
export function lossThresholdAuc(forgetLosses: ArrayLike<number>, testLosses: ArrayLike<number>): MaybeNumber {
  if (!forgetLosses.length || !testLosses.length) return null
  const all = [...Array.from(forgetLosses, (v) => ({ v, f: true })), ...Array.from(testLosses, (v) => ({ v, f: false }))].sort(
    (a, b) => a.v - b.v
  )
  // Mann-Whitney U with average ranks for ties; forget samples ranked low (small loss) mean members.
  let rankSumTest = 0
  for (let k = 0; k < all.length;) {
    let j = k
    while (j + 1 < all.length && all[j + 1]!.v === all[k]!.v) j++
    const avgRank = (k + j) / 2 + 1
    for (let m = k; m <= j; m++) if (!all[m]!.f) rankSumTest += avgRank
    k = j + 1
  }
  const nT = testLosses.length
  const nF = forgetLosses.length
  const uTest = rankSumTest - (nT * (nT + 1)) / 2
  return uTest / (nT * nF)
}

export interface AccuracyTriple {
  forgetAccuracy: MaybeNumber
  retainAccuracy: MaybeNumber
  testAccuracy: MaybeNumber
}

/** RUM's tug-of-war: Π over forget, retain, test of (1 − |acc_U − acc_R|). 1 = behaves like retraining. */
export function tugOfWar(u: AccuracyTriple, r: AccuracyTriple): MaybeNumber {
  let product = 1
  for (const k of ['forgetAccuracy', 'retainAccuracy', 'testAccuracy'] as const) {
    const a = u[k]
    const b = r[k]
    if (a == null || b == null) return null
    product *= 1 - Math.abs(a - b)
  }
  return product
}

export const GAP_METRICS = ['forgetAccuracy', 'retainAccuracy', 'testAccuracy', 'miaEfficacy'] as const

/** Mean absolute gap to the retrained model over forget, retain and test accuracy and MIA efficacy. */
export function gapToRetrain(u: Record<string, unknown>, r: Record<string, unknown>): MaybeNumber {
  const gaps = GAP_METRICS.map((k) =>
    typeof u[k] === 'number' && typeof r[k] === 'number' ? Math.abs((u[k] as number) - (r[k] as number)) : null
  )
  if (gaps.some((g) => g == null)) return null
  return (gaps as number[]).reduce((a, b) => a + b, 0) / gaps.length
}

/** Unlearned minus retrained, for every scalar metric both have. */
export function deltaToRetrain(u: Record<string, unknown>, r: Record<string, unknown>, skip: string[] = []): Record<string, number> {
  const out: Record<string, number> = {}
  for (const [k, v] of Object.entries(u)) {
    if (skip.includes(k) || typeof v !== 'number' || typeof r[k] !== 'number') continue
    out[k] = v - (r[k] as number)
  }
  return out
}

/** A metric as a plain number, or null when it is missing, undefined or not a scalar. */
export function scalarMetric(metrics: Record<string, unknown>, key: string): number | null {
  const v = metrics[key]
  return typeof v === 'number' && Number.isFinite(v) ? v : null
}
