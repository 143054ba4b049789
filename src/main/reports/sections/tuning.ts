import type { RunRecord } from '@shared/api/contract'
import { isMethodId, searchSpaceOf } from '@shared/methods'
import { isAuditRun } from '@shared/run-filter'
import type { ForgetTask } from '@shared/task-spec'
import {
  changedSettings,
  describeDimension,
  TUNING_OBJECTIVES,
  type TuningRecord,
  type TuningSettings,
  tuningObjective
} from '@shared/tuning'
import { type Block, cellLabel, fmt, note, sectionHeader, subHeader, table, wrappableJson } from '../blocks'
import type { TuningInput } from '../report-input'

type TaskKind = ForgetTask['kind']

/** The parts an objective is made of, as the tables head them. */
const COMPONENT_LABELS: Record<string, string> = {
  forgetAccuracy: 'Forget acc.',
  retainAccuracy: 'Retain acc.',
  validationAccuracy: 'Validation acc.',
  healedHeldOut: 'Healed (held out)'
}
const componentLabel = (key: string) => COMPONENT_LABELS[key] ?? key

const KEPT_FILL = '#e8f1e8'

/** Whether a run had a tuning budget: an audit run of a method with a search space (retrain has none). */
export function isTunedMethodRun(run: RunRecord): boolean {
  return isAuditRun(run) && isMethodId(run.method) && searchSpaceOf(run.method) !== null
}

const trialZero = (r: TuningRecord) => r.trials.find((t) => t.trial === 0)?.params ?? {}
const keptTrial = (r: TuningRecord) => r.trials.find((t) => t.trial === r.kept) ?? null
const where = (run: RunRecord) => `${run.cellKey ? `${cellLabel(run.cellKey)}, ` : ''}seed ${run.seed}`
const span = (values: number[]) => {
  const [low, high] = [Math.min(...values), Math.max(...values)]
  return low === high ? `${low}` : `${low}–${high}`
}

/** The budget, the objective and its rule, the validation split, and that no trial reads the test split. */
function rules(settings: TuningSettings, taskKind: TaskKind, records: TuningRecord[]): Block[] {
  const objective = tuningObjective(settings, taskKind)
  const { label, rule } = TUNING_OBJECTIVES[objective]
  const auto = settings.selectBy === 'auto' ? ' (chosen automatically: U×H for corrupted tasks, ToW for forgetting tasks)' : ''
  const counted = records.length ? `: ${span(records.map((r) => r.validationCount))} samples per run` : ''
  const heldOut =
    objective === 'uxh' && records.length
      ? ` Under U×H, ${span(records.map((r) => r.heldOutCount))} discovered samples per run (30 %) are hidden from the trials as if undiscovered, to score healing on.`
      : ''
  return [
    {
      text: [
        { text: 'Budget. ', bold: true },
        `Every method but retrain had the same budget: ${settings.trials} trials per run (for each cell and seed), so no method was favoured by more search. Trial 0 is the method's own settings (its defaults unless the spec sets them); the other ${settings.trials - 1} ${settings.trials === 2 ? 'is a seeded random draw' : 'are seeded random draws'} over its search space, changing only the searched settings. The trial with the highest objective is kept (the earliest on ties, so the method's own settings win a draw; a failed trial is never kept), and the run is then made with the kept settings on the real task. Retrain is not tuned: it is the reference every method is measured against.`
      ],
      margin: [0, 0, 0, 4]
    },
    {
      text: [{ text: 'Objective. ', bold: true }, `${label}${auto}, higher is better: ${rule}.`],
      margin: [0, 0, 0, 4]
    },
    {
      text: [
        { text: 'Validation split. ', bold: true },
        `${(settings.validationFraction * 100).toFixed(0)} % of the retain set (clean samples only, at least 20 and at most 2,000), held out of every set a trial trains on${counted}.${heldOut}`
      ],
      margin: [0, 0, 0, 4]
    },
    {
      text: [
        { text: 'The test split is never read by a trial. ', bold: true },
        'Trials are scored on training data only; where a method stops by held-out accuracy, a trial is given the retrain’s forget accuracy instead (ToW), or fails (U×H). The test accuracy in the results is measured once, on the kept settings’ run.'
      ],
      margin: [0, 0, 0, 4]
    }
  ]
}

/** One line per tuned run: the trial kept, the settings it changed, its objective; or why the run was not tuned. */
function keptTable(runs: RunRecord[], records: ReadonlyMap<string, TuningRecord>): Block {
  const rows = runs.map((run) => {
    const record = records.get(run.id)
    const kept = record ? keptTrial(record) : null
    if (!record || !kept)
      return [
        run.method,
        where(run),
        'not tuned',
        { text: run.error ?? `the run ${run.status === 'done' ? 'has no trials' : run.status}`, style: 'small' },
        '—',
        '—'
      ]
    return [
      run.method,
      where(run),
      `trial ${kept.trial} of ${record.trials.length}`,
      { text: changedSettings(kept, trialZero(record), wrappableJson), style: 'mono' },
      fmt(kept.objective),
      fmt(
        record.trials.reduce((sum, t) => sum + t.seconds, 0),
        1
      )
    ]
  })
  // The trials' seconds beside the kept ones: the same number of trials does not cost every method the same time.
  return table(
    ['Method', 'Cell, seed', 'Kept', 'Settings it ran with (changed from its own)', 'Objective', 'Trials took (s)'],
    rows,
    [76, 64, 56, '*', 48, 48],
    { margin: [0, 4, 0, 0] }
  )
}

/** Every trial of one run: its settings, each part of the objective, the objective, seconds, and why it failed; the kept one bold. */
function trialsTable(record: TuningRecord): Block {
  const components = [...new Set(record.trials.flatMap((t) => Object.keys(t.components)))]
  const base = trialZero(record)
  // The failure column only where a trial failed, so the settings keep the room.
  const failed = record.trials.some((t) => t.error !== null)
  const rows = record.trials.map((t) => {
    const kept = t.trial === record.kept
    const cells: unknown[] = [
      kept ? `${t.trial} kept` : String(t.trial),
      { text: changedSettings(t, base, wrappableJson), style: 'mono' },
      ...components.map((c) => fmt(t.components[c])),
      fmt(t.objective),
      fmt(t.seconds, 1),
      ...(failed ? [{ text: t.error ?? '', style: 'small' }] : [])
    ]
    return kept ? cells.map((c) => ({ ...(typeof c === 'string' ? { text: c } : (c as Block)), bold: true, fillColor: KEPT_FILL })) : cells
  })
  return table(
    ['Trial', 'Settings (changed from trial 0)', ...components.map(componentLabel), 'Objective', 'Seconds', ...(failed ? ['Failure'] : [])],
    rows,
    [34, '*', ...components.map(() => 46), 46, 36, ...(failed ? [110] : [])],
    { fontSize: 7.5, margin: [0, 2, 0, 6] }
  )
}

/** One method: its search space, then each of its runs' trials (per cell and seed). */
function methodBlocks(method: string, runs: RunRecord[], records: ReadonlyMap<string, TuningRecord>): Block[] {
  const space = isMethodId(method) ? searchSpaceOf(method) : null
  const dims = space ? Object.entries(space).map(([name, d]) => describeDimension(name, d)) : []
  const several = runs.length > 1
  return [
    subHeader(method),
    note(`Search space: ${dims.join(', ') || '—'}.`),
    ...runs.flatMap((run) => {
      const record = records.get(run.id)
      const head = several ? [{ text: where(run), bold: true, fontSize: 8, margin: [0, 4, 0, 0] }] : []
      if (!record) return [...head, note(`No trials recorded: ${run.error ?? `the run is ${run.status}`}.`)]
      return [...head, trialsTable(record)]
    })
  ]
}

/**
 * The Tuning section, only when the spec asked for tuning: the budget and the rules every method was
 * tuned by, which settings each run kept, and every trial it was chosen from.
 */
export function tuningSection(runs: RunRecord[], taskKind: TaskKind, tuning: TuningInput | null): Block[] {
  if (!tuning) return []
  const tuned = runs.filter(isTunedMethodRun)
  const methods = [...new Set(tuned.map((r) => r.method))]
  const records = tuned.flatMap((r) => (tuning.records.has(r.id) ? [tuning.records.get(r.id)!] : []))
  return [
    sectionHeader('Tuning'),
    ...rules(tuning.settings, taskKind, records),
    ...(tuned.length ? [keptTable(tuned, tuning.records)] : [note('No method of this audit has settings to tune.')]),
    ...methods.flatMap((m) =>
      methodBlocks(
        m,
        tuned.filter((r) => r.method === m),
        tuning.records
      )
    )
  ]
}
