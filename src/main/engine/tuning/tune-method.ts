import { type MethodId, searchSpaceOf } from '@shared/methods'
import { drawDimension, type TuningObjective, type TuningRecord, type TuningSettings, type TuningTrial } from '@shared/tuning'
import type { TaskData } from '../data/task-data'
import { nonFiniteWeights } from '../eval/health'
import type { MethodInputs } from '../methods/context'
import { runMethod } from '../methods/registry'
import { CancelledError } from '../util/cancel'
import { createRng, hashSeed } from '../util/random'
import { scoreTrial, type RetrainTargets } from './trial-objective'
import { makeTuningSplit } from './tuning-split'

export interface TuningInputs {
  method: MethodId
  /** The run's own settings: trial 0, and the base every drawn trial changes only the searched knobs of. */
  params: Record<string, unknown>
  settings: TuningSettings
  objective: TuningObjective
  /** The retrain's accuracies ToW measures against; null for U×H. */
  retrain: RetrainTargets | null
  taskData: TaskData
  /**
   * What every trial's method gets, without the test split: a trial's held-out accuracy is the
   * retrain's forget accuracy (what a model that never saw the forget set scores on it).
   */
  inputs: Omit<MethodInputs, 'split' | 'heldOutAccuracy' | 'progress'>
  progress: (fraction: number, detail: string) => void
}

/** The settings of trial `t`: the run's own for trial 0, then seeded draws over the method's search space. */
export function trialSettings(
  method: MethodId,
  params: Record<string, unknown>,
  trials: number,
  seed: number
): Array<Record<string, unknown>> {
  const space = searchSpaceOf(method)
  if (!space) throw new Error(`${method} is not tuned: it is the reference every method is measured against`)
  const rng = createRng(hashSeed(seed, `tuning-${method}`))
  return Array.from({ length: trials }, (_, t) =>
    t === 0 ? params : { ...params, ...Object.fromEntries(Object.entries(space).map(([name, d]) => [name, drawDimension(d, rng())])) }
  )
}

/**
 * Runs every trial of a method on the tuning split and keeps the best by the objective (the
 * earliest on ties, so the method's own settings win a draw). A trial that fails is recorded with
 * its reason and never kept; a cancel stops the whole job.
 */
export async function tuneMethod(i: TuningInputs): Promise<{ record: TuningRecord; params: Record<string, unknown> }> {
  const { split, validation, heldOut } = makeTuningSplit(i.taskData, {
    validationFraction: i.settings.validationFraction,
    holdOutDiscovered: i.objective === 'uxh',
    seed: i.inputs.seed
  })
  const settings = trialSettings(i.method, i.params, i.settings.trials, i.inputs.seed)
  const share = 1 / (settings.length + 1)
  const trials: TuningTrial[] = []
  for (const [t, params] of settings.entries()) {
    const started = performance.now()
    const detail = `trial ${t + 1}/${settings.length}`
    let trial: Omit<TuningTrial, 'seconds'>
    try {
      const outcome = await runMethod(i.method, params, {
        ...i.inputs,
        split,
        heldOutAccuracy: async () => {
          if (!i.retrain) throw new Error('No held-out accuracy while tuning by U×H: the test split is never read')
          return i.retrain.forgetAccuracy
        },
        progress: (f, d) => i.progress(share * (t + f), `${detail}: ${d}`)
      })
      try {
        const broken = await nonFiniteWeights(outcome.model)
        const score = broken.length
          ? null
          : await scoreTrial(
              outcome.model,
              { train: i.inputs.train, taskData: i.taskData, split, validation, heldOut },
              i.objective,
              i.retrain
            )
        trial = score
          ? { trial: t, params, ...score, error: null }
          : { trial: t, params, objective: null, components: {}, error: `non-finite weights (${broken[0]})` }
      } finally {
        outcome.model.dispose()
      }
    } catch (err) {
      if (err instanceof CancelledError) throw err
      trial = { trial: t, params, objective: null, components: {}, error: (err as Error).message }
    }
    trials.push({ ...trial, seconds: (performance.now() - started) / 1000 })
    i.progress(share * (t + 1), `${detail}: ${trial.objective === null ? 'failed' : trial.objective.toFixed(3)}`)
  }
  const scored = trials.filter((t) => t.objective !== null)
  if (scored.length === 0) throw new Error(`Every tuning trial of ${i.method} failed; the first: ${trials[0]!.error}`)
  const kept = scored.reduce((best, t) => (t.objective! > best.objective! ? t : best))
  return {
    record: { objective: i.objective, validationCount: validation.length, heldOutCount: heldOut.length, trials, kept: kept.trial },
    params: kept.params
  }
}
