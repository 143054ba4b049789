import type { AttackScores } from '../api/contract'
import { intervalKey, type PrivacyMetric } from '../metrics/names'
import type { MetricValue } from '../metrics/value'
import { createRng } from '../random'
import { bootstrapInterval, fitGaussian, type Gaussian, liraScore, rmiaMarginal, rmiaScores, rocAuc, tprAtFpr } from './membership'

/**
 * The attacks of one audit cell, from the models' outputs on the attacked samples: LiRA and RMIA
 * offline against the forget set (reference models), and U-LiRA against the retrains. Pure: the
 * engine scores the models and calls these.
 */

/** One model's outputs on the attacked samples: members (forget), then non-members (test), then RMIA's population (test). */
export interface ModelSignals {
  /** Logit-scaled confidence of the true label, LiRA's statistic. */
  phi: Float64Array
  /** Probability of the true label, RMIA's. */
  p: Float64Array
}

export interface AttackLayout {
  members: number
  nonMembers: number
  population: number
}

export interface ReferenceSignals extends ModelSignals {
  /** Which reference model: 2j and 2j + 1 trained on complementary halves of the pool. */
  index: number
  /** Per member sample, 1 when this reference model trained on it (never for test samples). */
  trainedOn: Uint8Array
}

/** RMIA's offline correction: how much an IN model would raise p(x) over the OUT models' mean. */
export const RMIA_OFFLINE_A = 0.3
/** Below this many OUT models per sample, LiRA uses one pooled variance (the LiRA paper's advice for few shadow models). */
export const PER_EXAMPLE_VARIANCE_FROM = 16
const BOOTSTRAP_RESAMPLES = 300

/** Privacy metrics by name (PRIVACY_METRICS and their `ci95.` intervals). */
type Metrics = Record<string, MetricValue>

/**
 * Per attacked sample, the values of the reference models that never saw it. A member is unseen by
 * one model of each complete pair; a test sample, unseen by all, is read on one model of each pair
 * too (alternating by sample), so members and non-members rest on equally many models and the
 * attack cannot tell them apart by how noisy their fits are.
 */
function outValues(refs: ReferenceSignals[], layout: AttackLayout, key: 'phi' | 'p'): number[][] {
  const n = layout.members + layout.nonMembers + layout.population
  const indices = new Set(refs.map((r) => r.index))
  const paired = (r: ReferenceSignals) => indices.has(r.index ^ 1)
  const outFor = (r: ReferenceSignals, s: number) =>
    s < layout.members ? r.trainedOn[s] === 0 : !paired(r) || r.index % 2 === (s + (r.index >> 1)) % 2
  return Array.from({ length: n }, (_, s) => refs.filter((r) => outFor(r, s)).map((r) => r[key][s]!))
}

/**
 * Gaussians of the OUT values, one per sample: per-sample mean; per-sample deviation with many OUT
 * models, else the pooled deviation of every sample that has at least two.
 */
export function outGaussians(out: number[][]): Array<Gaussian | null> {
  const fits = out.map((v) => fitGaussian(v))
  const perExample = out.every((v) => v.length >= PER_EXAMPLE_VARIANCE_FROM)
  if (perExample) return fits
  let ss = 0
  let count = 0
  out.forEach((v, s) => {
    if (v.length < 2) return
    ss += v.reduce((a, x) => a + (x - fits[s]!.mean) ** 2, 0)
    count += v.length - 1
  })
  const pooled = Math.max(count ? Math.sqrt(ss / count) : 1, 1e-3)
  return fits.map((f) => (f ? { mean: f.mean, std: pooled } : null))
}

/** What the reference models say about each attacked sample, computed once for every target of a cell. */
export interface ReferenceModelFits {
  lira: Array<Gaussian | null>
  marginal: Float64Array
  layout: AttackLayout
  k: number
}

export function fitReferences(refs: ReferenceSignals[], layout: AttackLayout): ReferenceModelFits {
  const lira = outGaussians(outValues(refs, layout, 'phi'))
  const marginal = Float64Array.from(outValues(refs, layout, 'p'), (v) => rmiaMarginal(v, RMIA_OFFLINE_A))
  return { lira, marginal, layout, k: refs.length }
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i)

/** Reads an attack's scores: AUC, TPR at 1 % and 0.1 % FPR, each with its 95 % bootstrap interval. */
function readAttack(
  members: number[],
  nonMembers: number[],
  names: Partial<Record<'auc' | 'tpr1' | 'tpr01', PrivacyMetric>>,
  seed: number
): Metrics {
  const stats = {
    auc: (m: number[], n: number[]) => rocAuc(m, n),
    tpr1: (m: number[], n: number[]) => tprAtFpr(m, n, 0.01),
    tpr01: (m: number[], n: number[]) => tprAtFpr(m, n, 0.001)
  }
  const out: Metrics = {}
  for (const [stat, name] of Object.entries(names) as Array<[keyof typeof stats, PrivacyMetric]>) {
    out[name] = stats[stat](members, nonMembers)
    out[intervalKey(name)] = bootstrapInterval(members, nonMembers, stats[stat], { seed, resamples: BOOTSTRAP_RESAMPLES })
  }
  return out
}

/** LiRA and RMIA offline on one target model: its metrics and per-example scores. */
export function attackModel(
  target: ModelSignals,
  fits: ReferenceModelFits,
  seed: number
): { metrics: Metrics; lira: AttackScores['lira']; rmia: AttackScores['rmia'] } {
  const { members, nonMembers, population } = fits.layout
  const liraOf = (s: number) => {
    const g = fits.lira[s]
    return g ? liraScore(target.phi[s]!, g) : 0
  }
  const memberIdx = range(0, members)
  const nonMemberIdx = range(members, members + nonMembers)
  const popIdx = range(members + nonMembers, members + nonMembers + population)
  const lira = { members: memberIdx.map(liraOf), nonMembers: nonMemberIdx.map(liraOf) }
  const pick = (a: Float64Array, idx: number[]) => idx.map((s) => a[s]!)
  const pop = { p: pick(target.p, popIdx), marginal: pick(fits.marginal, popIdx) }
  const rmiaOf = (idx: number[]) => rmiaScores({ p: pick(target.p, idx), marginal: pick(fits.marginal, idx) }, pop)
  const rmia = { members: rmiaOf(memberIdx), nonMembers: rmiaOf(nonMemberIdx) }
  const metrics: Metrics = {
    ...readAttack(lira.members, lira.nonMembers, { auc: 'liraAuc', tpr1: 'liraTprAt1Fpr', tpr01: 'liraTprAt01Fpr' }, seed),
    ...readAttack(rmia.members, rmia.nonMembers, { auc: 'rmiaAuc', tpr1: 'rmiaTprAt1Fpr' }, seed + 1),
    attackReferenceModels: fits.k,
    attackSamples: members
  }
  return { metrics, lira, rmia }
}

/** Per member sample, |φ − μ| / σ against the Gaussian of `fitOn` (pooled σ under PER_EXAMPLE_VARIANCE_FROM models). */
function distances(fitOn: Float64Array[], target: Float64Array): number[] {
  const out = Array.from(target, (_, s) => fitOn.map((r) => r[s]!))
  return outGaussians(out).map((g, s) => (g ? Math.abs(target[s]! - g.mean) / g.std : 0))
}

const mean = (v: number[]) => (v.length ? v.reduce((a, b) => a + b, 0) / v.length : null)

const aucAt = (a: number[], b: number[], idx: number[]) =>
  rocAuc(
    idx.map((i) => a[i]!),
    idx.map((i) => b[i]!)
  )

/**
 * The mean AUC over comparisons (each a pair of distance lists on the same samples) with its 95 %
 * interval. Two things vary: the samples, and which retrains were held out. The interval's half-width
 * joins both: the percentile bootstrap over samples (drawn jointly for every comparison) and twice the
 * standard error of the mean across comparisons, added in quadrature. With few retrains the second
 * dominates, as it should: it is how much one retrain differs from another.
 */
export function comparedAuc(
  comparisons: Array<{ a: number[]; b: number[] }>,
  seed: number
): { auc: number | null; interval: [number, number] | null } {
  const n = comparisons[0]?.a.length ?? 0
  const all = range(0, n)
  const each = comparisons.map((c) => aucAt(c.a, c.b, all)).filter((v): v is number => v !== null)
  const auc = mean(each)
  if (auc === null || !n) return { auc: null, interval: null }
  const rng = createRng(seed)
  const boot: number[] = []
  for (let r = 0; r < BOOTSTRAP_RESAMPLES; r++) {
    const idx = Array.from({ length: n }, () => Math.floor(rng() * n))
    const v = mean(comparisons.map((c) => aucAt(c.a, c.b, idx)).filter((x): x is number => x !== null))
    if (v !== null) boot.push(v)
  }
  boot.sort((a, b) => a - b)
  const at = (q: number) => boot[Math.round(q * (boot.length - 1))]!
  const sampleHalf = boot.length ? (at(0.975) - at(0.025)) / 2 : 0
  const m = each.length
  const between = m > 1 ? each.reduce((a, v) => a + (v - auc) ** 2, 0) / (m - 1) / m : 0
  const half = Math.sqrt(sampleHalf ** 2 + 4 * between)
  return { auc, interval: [auc - half, auc + half] }
}

/**
 * U-LiRA at the cost of the models already there: for each held-out retrain h, a Gaussian per forget
 * sample from the other retrains; the AUC of telling the target's distances from h's (0.5 = like
 * retraining), averaged over h, with comparedAuc's interval. Null with fewer than 2 retrains.
 */
export function uliraOf(retrains: Float64Array[], target: Float64Array, seed: number): { metrics: Metrics; distances: number[] | null } {
  if (retrains.length < 2) return { metrics: {}, distances: null }
  const rotations = retrains.map((held, h) => {
    const fitOn = retrains.filter((_, i) => i !== h)
    return { a: distances(fitOn, target), b: distances(fitOn, held) }
  })
  const { auc, interval } = comparedAuc(rotations, seed)
  return { metrics: { ulira: auc, [intervalKey('ulira')]: interval }, distances: distances(retrains, target) }
}
