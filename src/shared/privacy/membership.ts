import { lossThresholdAuc } from '../metrics/definitions'
import { createRng } from '../random'

/**
 * The statistics of per-example membership inference: LiRA offline (Carlini et al. 2022) and RMIA
 * offline (Zarifzadeh et al. 2024), and how an attack is read: AUC, TPR at a fixed low FPR, and
 * bootstrap intervals. Pure functions on numbers; the engine supplies the models' outputs.
 */

/**
 * LiRA's score of one output: the true class's logit-scaled confidence, log(p_y / (1 − p_y)), computed
 * from the logits as z_y − log Σ_{k≠y} exp(z_k), which stays finite where p_y rounds to 1.
 */
export function scaledConfidence(logits: ArrayLike<number>, label: number): number {
  let max = -Infinity
  for (let k = 0; k < logits.length; k++) if (k !== label) max = Math.max(max, logits[k]!)
  let sum = 0
  for (let k = 0; k < logits.length; k++) if (k !== label) sum += Math.exp(logits[k]! - max)
  return logits[label]! - (max + Math.log(sum))
}

export interface Gaussian {
  mean: number
  std: number
}

/** Mean and (population) standard deviation of a sample; the deviation at least `minStd`, so a fit on a few equal values still scores. */
export function fitGaussian(values: ArrayLike<number>, minStd = 1e-3): Gaussian | null {
  const n = values.length
  if (n === 0) return null
  let mean = 0
  for (let i = 0; i < n; i++) mean += values[i]!
  mean /= n
  let ss = 0
  for (let i = 0; i < n; i++) ss += (values[i]! - mean) ** 2
  return { mean, std: Math.max(Math.sqrt(ss / n), minStd) }
}

/**
 * Offline LiRA's score: how many deviations above the Gaussian of the reference models that never saw
 * the sample (OUT) the target model's confidence lies, (x − μ_out) / σ_out. High: the target is far more
 * confident than models that did not train on it, so it likely did. The paper's one-sided test reads
 * Φ of this; the ranking is the same, and Φ rounds to exactly 1 beyond about 8.3 deviations in doubles,
 * which would tie the most exposed samples with one another.
 */
export function liraScore(x: number, out: Gaussian): number {
  return (x - out.mean) / out.std
}

/**
 * RMIA's offline estimate of Pr(x) from OUT models only: ½((1 + a)·mean p_OUT(x) + (1 − a)). The
 * paper's correction `a` stands for how much an IN model would raise p(x) over the OUT models.
 */
export function rmiaMarginal(pOut: ArrayLike<number>, a: number): number {
  let mean = 0
  for (let i = 0; i < pOut.length; i++) mean += pOut[i]!
  mean /= Math.max(1, pOut.length)
  return 0.5 * ((1 + a) * mean + (1 - a))
}

/**
 * RMIA scores: for each target sample x, the share of population samples z whose likelihood ratio it
 * dominates, LR(x) / LR(z) ≥ γ, where LR(·) = p(· | θ) / Pr(·). Inputs are the target model's
 * probability of each sample's true label and each sample's marginal (`rmiaMarginal`).
 */
export function rmiaScores(
  target: { p: ArrayLike<number>; marginal: ArrayLike<number> },
  population: { p: ArrayLike<number>; marginal: ArrayLike<number> },
  gamma = 1
): number[] {
  const popRatios = Float64Array.from({ length: population.p.length }, (_, i) => population.p[i]! / population.marginal[i]!).sort()
  const m = popRatios.length
  return Array.from({ length: target.p.length }, (_, i) => {
    const limit = target.p[i]! / target.marginal[i]! / gamma
    // How many population ratios are at most `limit`: LR(x)/LR(z) ≥ γ ⇔ LR(z) ≤ LR(x)/γ.
    let lo = 0
    let hi = m
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (popRatios[mid]! <= limit) lo = mid + 1
      else hi = mid
    }
    return m ? lo / m : 0
  })
}

/** AUC of telling members (higher scores) from non-members: P(member score > non-member score), ties counting half. */
export function rocAuc(members: ArrayLike<number>, nonMembers: ArrayLike<number>): number | null {
  // The same Mann-Whitney count as the loss attack, read the other way round.
  return lossThresholdAuc(nonMembers, members)
}

/**
 * TPR at a fixed FPR: the threshold lets at most `fpr` of the non-members through (score strictly
 * above it); a tie with the threshold counts as rejected, so ties never buy true positives.
 */
export function tprAtFpr(members: ArrayLike<number>, nonMembers: ArrayLike<number>, fpr: number): number | null {
  if (!members.length || !nonMembers.length) return null
  const neg = Array.from(nonMembers).sort((a, b) => b - a)
  const allowed = Math.floor(fpr * neg.length)
  // The (allowed + 1)-th highest non-member score: only scores above it are called members.
  const threshold = allowed >= neg.length ? -Infinity : neg[allowed]!
  let hits = 0
  for (let i = 0; i < members.length; i++) if (members[i]! > threshold) hits++
  return hits / members.length
}

/**
 * A percentile bootstrap interval of `statistic`: members and non-members resampled with replacement,
 * each `resamples` times, from a seeded generator so the interval is reproducible.
 */
export function bootstrapInterval(
  members: ArrayLike<number>,
  nonMembers: ArrayLike<number>,
  statistic: (members: number[], nonMembers: number[]) => number | null,
  opts: { seed: number; resamples?: number; level?: number }
): [number, number] | null {
  if (!members.length || !nonMembers.length) return null
  const rng = createRng(opts.seed)
  const draw = (from: ArrayLike<number>) => Array.from({ length: from.length }, () => from[Math.floor(rng() * from.length)]!)
  const values: number[] = []
  for (let r = 0; r < (opts.resamples ?? 1000); r++) {
    const v = statistic(draw(members), draw(nonMembers))
    if (v !== null) values.push(v)
  }
  if (!values.length) return null
  values.sort((a, b) => a - b)
  const tail = (1 - (opts.level ?? 0.95)) / 2
  const at = (q: number) => values[Math.min(values.length - 1, Math.max(0, Math.round(q * (values.length - 1))))]!
  return [at(tail), at(1 - tail)]
}
