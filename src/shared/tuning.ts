import { z } from 'zod'

/**
 * Equal-budget tuning: every tuned method gets the same number of trials, each a run of the method
 * on the task with a validation split of the retain set held out, scored by one stated objective
 * that never reads the test split. The best trial's settings are then run on the real task.
 */

/** What a tuning trial is scored by (higher is better). */
export const TUNING_OBJECTIVES = {
  uxh: {
    label: 'U×H on held-out data',
    rule: 'utility × healed: accuracy on the validation split (clean retain samples the trial never trains on) times the share of a held-out part of the discovered set (30 %, hidden from the trial as if undiscovered) predicted with its clean label'
  },
  tow: {
    label: 'ToW against the retrain',
    rule: "tug of war: (1 − |forget accuracy − the retrain's|) × (1 − |retain accuracy − the retrain's|) × accuracy on the validation split (retain samples the trial never trains on), in place of the test accuracy"
  }
} as const
export type TuningObjective = keyof typeof TUNING_OBJECTIVES

export const TuningSettingsSchema = z
  .object({
    /** Trials per tuned method; the first is the method's own settings (its defaults unless the spec sets them). */
    trials: z.number().int().min(2).max(64).default(8),
    /** `auto`: U×H for corrupted tasks, ToW for forgetting tasks. */
    selectBy: z.enum(['auto', 'uxh', 'tow']).default('auto'),
    /** Share of the retain set held out as the validation split (clean samples only), at least 20 and at most 2,000 samples. */
    validationFraction: z.number().min(0.02).max(0.3).default(0.1)
  })
  .strict()
export type TuningSettings = z.output<typeof TuningSettingsSchema>

/** The objective a task kind is tuned by, or an error naming why the choice does not fit it. */
export function tuningObjective(settings: TuningSettings, taskKind: 'random' | 'class' | 'corrupted'): TuningObjective {
  if (settings.selectBy === 'auto') return taskKind === 'corrupted' ? 'uxh' : 'tow'
  if (settings.selectBy === 'uxh' && taskKind !== 'corrupted')
    throw new Error('tuning.selectBy: "uxh" needs corrupted samples with known clean labels; use "tow" for forgetting tasks')
  return settings.selectBy
}

/**
 * One knob of a method's search space: `log` samples log-uniformly (rates, strengths), `range`
 * uniformly, `int` uniformly over the integers, both ends included.
 */
export type SearchDimension = { log: readonly [number, number] } | { range: readonly [number, number] } | { int: readonly [number, number] }
export type SearchSpace = Readonly<Record<string, SearchDimension>>

/** A value with three significant digits, so trial settings read as a person would write them. */
const round3 = (v: number) => Number(v.toPrecision(3))

/** A draw of one dimension from `u` in [0, 1). */
export function drawDimension(d: SearchDimension, u: number): number {
  if ('int' in d) return d.int[0] + Math.floor(u * (d.int[1] - d.int[0] + 1))
  const [lo, hi] = 'log' in d ? d.log : d.range
  const value = 'log' in d ? Math.exp(Math.log(lo) + u * (Math.log(hi) - Math.log(lo))) : lo + u * (hi - lo)
  // Rounding must not carry a value out of its range (0.99989 would round to 1).
  const rounded = round3(value)
  return rounded >= lo && rounded <= hi ? rounded : value
}

/** How a search dimension reads in notes and the report: `learningRate 0.001–0.1 (log)`. */
export function describeDimension(name: string, d: SearchDimension): string {
  if ('int' in d) return `${name} ${d.int[0]}–${d.int[1]}`
  if ('log' in d) return `${name} ${d.log[0]}–${d.log[1]} (log)`
  return `${name} ${d.range[0]}–${d.range[1]}`
}

/** One trial as recorded: its settings, its objective and the parts the objective is made of. */
export const TuningTrialSchema = z.object({
  trial: z.number().int().min(0),
  params: z.record(z.string(), z.unknown()),
  /** Null when the trial failed (diverged, collapsed, or threw); `error` then says why. */
  objective: z.number().nullable(),
  components: z.record(z.string(), z.number().nullable()),
  seconds: z.number(),
  error: z.string().nullable()
})
export type TuningTrial = z.infer<typeof TuningTrialSchema>

/**
 * A trial's settings that differ from trial 0's (the method's own), `name value` each, values shown by
 * `show` (the report wraps long JSON; the app prints it as it is).
 */
export function changedSettings(
  trial: TuningTrial,
  base: Record<string, unknown>,
  show: (v: unknown) => string = (v) => JSON.stringify(v)
): string {
  if (trial.trial === 0) return 'own settings'
  const changed = Object.entries(trial.params).filter(([k, v]) => JSON.stringify(v) !== JSON.stringify(base[k]))
  return changed.map(([k, v]) => `${k} ${show(v)}`).join(', ') || 'same as trial 0'
}

/** What a tuned run reports: the objective, every trial, and the one whose settings the run then used. */
export const TuningRecordSchema = z.object({
  objective: z.enum(['uxh', 'tow']),
  validationCount: z.number().int(),
  /** Discovered samples held out from the trials (U×H only). */
  heldOutCount: z.number().int(),
  trials: z.array(TuningTrialSchema),
  kept: z.number().int().min(0)
})
export type TuningRecord = z.infer<typeof TuningRecordSchema>
