import type { AttackScores } from '../api/contract'
import { methodColor } from './run-task'

/**
 * The Privacy tab's charts from per-example attack scores (higher = more likely a member): the
 * empirical ROC of an attack, drawn on log-log axes as membership-inference papers do (the low-FPR
 * corner is where an attack is dangerous), and the scores of members against non-members as histograms.
 */

export interface RocPoint {
  fpr: number
  tpr: number
}

/**
 * The empirical ROC: one vertex per distinct score, from (0, 0) to (1, 1), calling a sample a member
 * when its score is at least the threshold. A tie between members and non-members moves both rates
 * at once (a diagonal step), so the area under the curve counts ties as half, like the AUC. NaN
 * scores are left out; empty when either group has no score.
 */
export function rocPoints(members: ArrayLike<number>, nonMembers: ArrayLike<number>): RocPoint[] {
  const labelled = [
    ...Array.from(members, (score) => ({ score, member: true })),
    ...Array.from(nonMembers, (score) => ({ score, member: false }))
  ].filter((s) => !Number.isNaN(s.score))
  const positives = labelled.filter((s) => s.member).length
  const negatives = labelled.length - positives
  if (!positives || !negatives) return []
  labelled.sort((a, b) => b.score - a.score)
  const points: RocPoint[] = [{ fpr: 0, tpr: 0 }]
  let tp = 0
  let fp = 0
  for (let i = 0; i < labelled.length; i++) {
    if (labelled[i]!.member) tp++
    else fp++
    // One vertex per threshold: samples with the same score are called together.
    if (i + 1 === labelled.length || labelled[i + 1]!.score !== labelled[i]!.score)
      points.push({ fpr: fp / negatives, tpr: tp / positives })
  }
  return points
}

/** The highest TPR a threshold reaches with at most `fpr` false positives (0 for an empty curve). */
export function tprAt(roc: RocPoint[], fpr: number): number {
  return roc.reduce((best, p) => (p.fpr <= fpr + 1e-12 ? Math.max(best, p.tpr) : best), 0)
}

/** The lowest rate the log-log ROC shows: below it a rate needs more than 1,000 attacked samples to be told from 0. */
export const LOG_AXIS_MIN = 1e-3

/**
 * ROC vertices for log axes: rates below `min` (0 among them, which a log axis cannot draw) sit on the
 * axis, and vertices closer than `resolution` decades to the last kept one are dropped, so a curve of
 * 40,000 samples draws as fast as one of 100. The first and last vertices are always kept.
 */
export function logRocPoints(roc: RocPoint[], min = LOG_AXIS_MIN, resolution = 0.01): Array<[number, number]> {
  const clamp = (v: number) => Math.min(1, Math.max(min, v))
  const out: Array<[number, number]> = []
  roc.forEach((p, i) => {
    const point: [number, number] = [clamp(p.fpr), clamp(p.tpr)]
    const last = out[out.length - 1]
    const far =
      !last || Math.log10(point[0] / last[0]) >= resolution || Math.log10(point[1] / last[1]) >= resolution || i === roc.length - 1
    if (far && !(last && last[0] === point[0] && last[1] === point[1])) out.push(point)
  })
  return out
}

export interface Histogram {
  /** The bins' edges, one more than bins. */
  edges: number[]
  /** Per group of scores, its count in each bin. */
  counts: number[][]
}

/**
 * Histograms of several groups of scores on shared bins over their finite range: every score counts
 * in exactly one bin (the range's top in the last; ±Infinity in the outer bins), NaN in none.
 */
export function histogramBins(groups: Array<ArrayLike<number>>, bins = 30): Histogram {
  const finite = groups.flatMap((g) => Array.from(g).filter(Number.isFinite))
  let low = finite.length ? Math.min(...finite) : 0
  let high = finite.length ? Math.max(...finite) : 1
  if (high - low < 1e-12) {
    low -= 0.5
    high += 0.5
  }
  const width = (high - low) / bins
  const edges = Array.from({ length: bins + 1 }, (_, i) => (i === bins ? high : low + i * width))
  const counts = groups.map((g) => {
    const c = new Array<number>(bins).fill(0)
    for (const v of Array.from(g)) {
      if (Number.isNaN(v)) continue
      const at = Number.isFinite(v) ? Math.floor((v - low) / width) : v > 0 ? bins - 1 : 0
      c[Math.min(bins - 1, Math.max(0, at))]!++
    }
    return c
  })
  return { edges, counts }
}

export type AttackName = 'lira' | 'rmia'
export const ATTACK_LABELS: Record<AttackName, string> = { lira: 'LiRA', rmia: 'RMIA' }
/** What an attack's score measures, for a histogram's axis. */
const SCORE_UNITS: Record<AttackName, string> = {
  lira: 'SD above the reference models that never saw it',
  rmia: 'share of population samples it dominates'
}

/** One attacked model of a cell and seed, as `privacy:scores` returns it. */
export interface ScoredRun {
  runId: string
  method: string
  replica: number | null
  scores: AttackScores
}

/** Greys for the retrain band: what retraining itself gives, drawn under the models it judges. */
const BAND_COLOR = '#9e9e9e'
const round4 = (v: number) => Number(v.toPrecision(4))

/**
 * One attack's ROC curves on log-log axes from 10⁻³ to 1: the original and each method in its own
 * colour, every retrain of the cell (the audit's and the band's) as thin grey lines under one
 * legend entry, and the diagonal of an attack that guesses. Null when no run has scores.
 */
export function rocOption(runs: ScoredRun[], attack: AttackName, opts: { animation?: boolean } = {}): Record<string, unknown> | null {
  const curves = runs
    .map((r) => ({ run: r, points: logRocPoints(rocPoints(r.scores[attack].members, r.scores[attack].nonMembers)) }))
    .filter((c) => c.points.length > 0)
  if (!curves.length) return null
  const retrains = curves.filter((c) => c.run.method === 'retrain')
  const others = curves.filter((c) => c.run.method !== 'retrain')
  const seen = new Map<string, number>()
  const nameOf = (method: string) => {
    const n = (seen.get(method) ?? 0) + 1
    seen.set(method, n)
    return n === 1 ? method : `${method} #${n}`
  }
  const band = `retrain band (${retrains.length})`
  const line = (name: string, color: string, width: number, points: Array<[number, number]>, z: number) => ({
    name,
    type: 'line',
    color,
    showSymbol: false,
    lineStyle: { width },
    z,
    data: points.map(([x, y]) => [round4(x), round4(y)])
  })
  const axis = (name: string) => ({
    type: 'log',
    logBase: 10,
    min: LOG_AXIS_MIN,
    max: 1,
    name,
    nameLocation: 'middle',
    nameGap: 28,
    minorSplitLine: { show: false }
  })
  return {
    animation: opts.animation ?? true,
    title: {
      text: `${ATTACK_LABELS[attack]} ROC on the forget set against test samples`,
      subtext: 'log-log; rates below 0.001 sit on the axes',
      left: 'center',
      textStyle: { fontSize: 13 }
    },
    tooltip: { trigger: 'axis', axisPointer: { type: 'cross' } },
    legend: { bottom: 0, type: 'scroll' },
    grid: { left: 62, right: 24, top: 58, bottom: 74 },
    xAxis: axis('False positive rate'),
    yAxis: { ...axis('True positive rate'), nameGap: 44 },
    series: [
      {
        name: 'chance (TPR = FPR)',
        type: 'line',
        color: '#888',
        showSymbol: false,
        silent: true,
        lineStyle: { type: 'dashed', width: 1 },
        data: [
          [LOG_AXIS_MIN, LOG_AXIS_MIN],
          [1, 1]
        ]
      },
      ...retrains.map((c) => line(band, BAND_COLOR, 1, c.points, 1)),
      ...others.map((c) => line(nameOf(c.run.method), methodColor(c.run.method), 2, c.points, 3))
    ]
  }
}

/** How the histogram's groups are named: the forget samples the model trained on, the test samples it never saw. */
export const MEMBER_LABEL = 'forget (members)'
export const NON_MEMBER_LABEL = 'test (non-members)'

/** One run's scores of one attack: members against non-members as overlaid histograms on shared bins. */
export function scoreHistogramOption(
  run: ScoredRun,
  attack: AttackName,
  title: string,
  opts: { animation?: boolean; bins?: number } = {}
): Record<string, unknown> {
  const { members, nonMembers } = run.scores[attack]
  const h = histogramBins([members, nonMembers], opts.bins ?? 25)
  const centres = h.edges.slice(0, -1).map((e, i) => ((e + h.edges[i + 1]!) / 2).toFixed(2))
  const bars = (name: string, color: string, counts: number[]) => ({
    name,
    type: 'bar',
    color,
    barGap: '-100%',
    barCategoryGap: '4%',
    itemStyle: { opacity: 0.6 },
    data: counts
  })
  return {
    animation: opts.animation ?? true,
    title: {
      text: title,
      subtext: `${ATTACK_LABELS[attack]} score; higher means more likely a member`,
      left: 'center',
      textStyle: { fontSize: 13 }
    },
    tooltip: { trigger: 'axis' },
    legend: { bottom: 0 },
    grid: { left: 52, right: 20, top: 58, bottom: 74 },
    xAxis: { type: 'category', data: centres, name: `score: ${SCORE_UNITS[attack]} (bin centre)`, nameLocation: 'middle', nameGap: 28 },
    yAxis: { type: 'value', name: 'samples', nameLocation: 'middle', nameGap: 36, minInterval: 1 },
    series: [
      bars(`${MEMBER_LABEL}, n = ${members.length}`, '#ee6666', h.counts[0]!),
      bars(`${NON_MEMBER_LABEL}, n = ${nonMembers.length}`, '#5470c6', h.counts[1]!)
    ]
  }
}

/** A run's attacked forget samples by LiRA score, highest (most exposed) first: their training index and score. */
export function mostExposed(scores: AttackScores, count: number): Array<{ index: number; score: number }> {
  return scores.members
    .map((index, k) => ({ index, score: scores.lira.members[k]! }))
    .filter((s) => !Number.isNaN(s.score))
    .sort((a, b) => b.score - a.score)
    .slice(0, count)
}
