import type { RunRecord } from './api/contract'
import { type LeaderboardRow, leaderboardRows } from './charts/leaderboard'
import { runTask } from './charts/run-task'
import { ALL_METRICS, metricLabel } from './metrics/groups'
import { METHOD_CATALOG } from './methods'
import { retrainBand, retrainsOf, RETRAIN_BAND_RULE, withinRetrain } from './privacy/retrain-band'
import { isAuditRun } from './run-filter'

/**
 * The report's one-paragraph verdict, written from the numbers: which method did best on the
 * task's headline metric, how far it moved that metric from the original model, what it cost in
 * utility, and where retraining landed. The rules behind each word are in VERDICT_RULES, printed
 * beside the metric definitions so a reader can check them.
 */

interface Headline {
  /** The metric the verdict quotes (original → method). */
  key: string
  /** The metric methods are ranked by (mean over every cell and seed). */
  rankBy: string
  rankHigherIsBetter: boolean
  /** What was to be removed, for the sentence. */
  what: string
  /** The word for the outcome, from the method's and the references' means. */
  judge: (value: number, original: number | null, retrain: number | null) => string
  /** What the retrain reference is, in words. */
  retrainLabel: string
}

export const VERDICT_RULES = [
  "Poison: the trigger counts as removed when attack success is at most 0.10, as reduced when it at least halved, otherwise as not removed. When the method also lost more than half of the target class's own test accuracy, the verdict says the trigger went with the class.",
  'Label corruption: healed when Healed (train) is at least 0.80, partly healed when it rose by at least 0.10 over the original, otherwise not healed.',
  'Class or example forgetting: forgotten like retraining when forget accuracy is within 0.05 of the retrained model, otherwise not.',
  'Methods are ranked by Utility × Healed for corrupted-data tasks and by ToW for forgetting tasks (forget accuracy when there is no retrain run); utility cost is the original minus the method in points of accuracy.',
  `Privacy (audits with per-example attacks): the best method's LiRA AUC and U-LiRA are judged per cell and seed against the retrain band. ${RETRAIN_BAND_RULE}`
]

const fmt = (v: number) => v.toFixed(2)

/** "REM" from "REM (Redirection for Erasing Memory)"; an unknown id as it is. */
const shortName = (method: string): string =>
  (METHOD_CATALOG as Record<string, { label: string }>)[method]?.label.replace(/ \(.*\)$/, '') ?? method

function headlineFor(runs: RunRecord[], baseTask: Record<string, unknown>): Headline {
  const tasks = runs.map((r) => runTask(r, baseTask))
  const corruptions = new Set(tasks.map((t) => t.corruption).filter((c) => typeof c === 'string'))
  const hasTow = runs.some((r) => typeof r.metrics.tow === 'number')
  if (corruptions.size === 1 && corruptions.has('poison')) {
    return {
      key: 'attackSuccessRate',
      rankBy: 'utilityTimesHealed',
      rankHigherIsBetter: true,
      what: 'the poison trigger',
      judge: (v, o) => (v <= 0.1 ? 'removed' : o !== null && v <= o / 2 ? 'reduced' : 'did not remove'),
      retrainLabel: 'retraining on the known data'
    }
  }
  if (corruptions.size > 0) {
    return {
      key: 'healedTrain',
      rankBy: 'utilityTimesHealed',
      rankHigherIsBetter: true,
      what:
        corruptions.size > 1
          ? 'the corruption across the task space'
          : corruptions.has('interclass-swap')
            ? 'the inter-class label swap'
            : 'the random label noise',
      judge: (v, o) => (v >= 0.8 ? 'healed' : o !== null && v >= o + 0.1 ? 'partly healed' : 'did not heal'),
      retrainLabel: 'retraining on the known data'
    }
  }
  const classTask = tasks.some((t) => t.kind === 'class')
  return {
    key: 'forgetAccuracy',
    rankBy: hasTow ? 'tow' : 'forgetAccuracy',
    rankHigherIsBetter: hasTow,
    what: classTask ? 'the forgotten class' : 'the forget set',
    judge: (v, _o, r) => (r !== null && Math.abs(v - r) <= 0.05 ? 'forgot, like retraining,' : 'did not forget, as retraining does,'),
    retrainLabel: 'retraining without the forget set'
  }
}

const meanOf = (row: LeaderboardRow | undefined, key: string): number | null => row?.stats[key]?.mean ?? null

/**
 * How a method's runs sit against the retrain band on one privacy metric: "within retrain in 3 of 4
 * cells and seeds". Null when no run of it has the metric and a band to be read against.
 */
function privacyReading(method: string, done: RunRecord[], metric: string): string | null {
  const judged = done
    .filter((r) => r.method === method && isAuditRun(r))
    .map((r) =>
      withinRetrain(r.metrics[metric as 'liraAuc'] as number | undefined, retrainBand(retrainsOf(done, r.cellKey, r.seed), metric))
    )
    .filter((w): w is boolean => w !== null)
  if (!judged.length) return null
  const within = judged.filter(Boolean).length
  if (judged.length === 1) return `${metricLabel(metric)} ${within ? 'within' : 'outside'} retrain`
  return `${metricLabel(metric)} within retrain in ${within} of ${judged.length} cells and seeds`
}

/**
 * For poison: a sentence when the method lost more than half of the target class's own accuracy, so
 * that "removed" is not read as a clean removal (attack success is 0 once the class is never predicted).
 */
function targetClassLoss(original: LeaderboardRow | undefined, best: LeaderboardRow): string {
  const before = meanOf(original, 'targetClassAccuracy')
  const after = meanOf(best, 'targetClassAccuracy')
  if (before === null || after === null || after >= before / 2) return ''
  return ` But it lost the target class with it: test accuracy on the target class's own images fell from ${fmt(before)} to ${fmt(after)}.`
}

/** The verdict paragraph, or a sentence saying why there is none. */
export function writeVerdict(allRuns: RunRecord[], baseTask: Record<string, unknown>): string {
  const unfinished = allRuns.filter((r) => r.status === 'failed' || r.status === 'cancelled' || r.status === 'interrupted').length
  const tail = unfinished ? ` ${unfinished} of ${allRuns.length} runs failed or were stopped; they are listed in the appendix.` : ''
  // Reference models and the band's extra retrains are evidence, not candidates or references.
  const runs = allRuns.filter(isAuditRun)
  const done = runs.filter((r) => r.status === 'done')
  const rows = leaderboardRows(done, ALL_METRICS)
  const candidates = rows.filter((r) => !r.reference)
  if (!done.length || !candidates.length) return `No unlearning method finished, so there is nothing to conclude.${tail}`

  const h = headlineFor(done, baseTask)
  const original = rows.find((r) => r.method === 'original')
  const retrain = rows.find((r) => r.method === 'retrain')
  const ranked = candidates.filter((r) => meanOf(r, h.rankBy) !== null)
  const sign = h.rankHigherIsBetter ? -1 : 1
  const best = ranked.sort((a, b) => sign * (meanOf(a, h.rankBy)! - meanOf(b, h.rankBy)!))[0] ?? candidates[0]!
  const value = meanOf(best, h.key)
  if (value === null)
    return `${shortName(best.method)} ranked first, but ${metricLabel(h.key)} was not measured, so there is no verdict on ${h.what}.${tail}`

  const before = meanOf(original, h.key)
  const after = meanOf(retrain, h.key)
  // A mean that rests on one run says so, rather than passing for an average.
  const one = best.stats[h.key]?.n === 1 ? ', n = 1' : ''
  const change =
    before === null ? `${metricLabel(h.key)} ${fmt(value)}${one}` : `${metricLabel(h.key)} ${fmt(before)} → ${fmt(value)}${one}`
  const utilityKey = done.some((r) => typeof r.metrics.utility === 'number') ? 'utility' : 'testAccuracy'
  const lost =
    meanOf(original, utilityKey) !== null && meanOf(best, utilityKey) !== null
      ? 100 * (meanOf(original, utilityKey)! - meanOf(best, utilityKey)!)
      : null
  const cost =
    lost === null
      ? ''
      : lost >= 0.05
        ? ` at ${lost.toFixed(1)} points of ${metricLabel(utilityKey).toLowerCase()}`
        : ` with no loss of ${metricLabel(utilityKey).toLowerCase()} (${lost <= -0.05 ? `+${(-lost).toFixed(1)}` : '±0.0'} points)`
  const judged = h.judge(value, before, after)
  const classLost = h.key === 'attackSuccessRate' ? targetClassLoss(original, best) : ''
  const reference =
    after === null
      ? '; no retrain run to compare with'
      : `; ${h.retrainLabel} reached ${fmt(after)}${h.key === 'forgetAccuracy' ? '' : ` and ${h.judge(after, before, after).replace(/,$/, '')} it`}`
  const spread = ranked.length > 1 ? ` It ranked first of ${ranked.length} methods by ${metricLabel(h.rankBy)}.` : ''
  const allDone = allRuns.filter((r) => r.status === 'done')
  const privacy = ['liraAuc', 'ulira'].map((m) => privacyReading(best.method, allDone, m)).filter((p): p is string => p !== null)
  const attacks = privacy.length ? ` Against per-example attacks: ${privacy.join('; ')} (rule in the definitions).` : ''
  return `${shortName(best.method)} ${judged} ${h.what} (${change})${cost}${reference}.${classLost}${spread}${attacks}${tail}`
}
