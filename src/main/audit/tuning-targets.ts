import { searchSpaceOf } from '@shared/methods'
import type { TaskSpec } from '@shared/task-spec'
import { tuningObjective } from '@shared/tuning'
import type { Job } from '../engine/protocol'
import type { AuditStore } from '../store/audit-store'
import type { PlanGroup, PlannedStep } from './plan'

type JobTuning = NonNullable<Extract<Job, { kind: 'unlearn' }>['tuning']>

/** Whether a step is tuned: an audit run (not a band retrain) of a method with a search space, in a tuned audit. */
export function isTuned(spec: TaskSpec, step: PlannedStep): boolean {
  return (
    spec.tuning !== undefined &&
    step.replica === null &&
    step.method !== 'original' &&
    step.method !== 'reference' &&
    searchSpaceOf(step.method) !== null
  )
}

/** The group's retrain, which ToW scores trials against; null when tuning does not need it. */
export function retrainToWaitFor(spec: TaskSpec, group: PlanGroup): PlannedStep | null {
  if (!spec.tuning || tuningObjective(spec.tuning, group.cell.task.kind) !== 'tow') return null
  return group.methods.find((m) => m.method === 'retrain' && m.replica === null) ?? null
}

/**
 * What a tuned step's job carries: the settings, the objective and, for ToW, the finished retrain's
 * accuracies. Throws when ToW needs a retrain that did not finish.
 */
export function jobTuning(store: AuditStore, spec: TaskSpec, group: PlanGroup, retrainRunId: string | null): JobTuning {
  const objective = tuningObjective(spec.tuning!, group.cell.task.kind)
  if (objective === 'uxh') return { settings: spec.tuning!, objective, retrain: null }
  const metrics = retrainRunId && store.runs.statusOf(retrainRunId) === 'done' ? store.runs.metrics(retrainRunId) : null
  const forget = metrics?.forgetAccuracy
  const retain = metrics?.retainAccuracy
  if (typeof forget !== 'number' || typeof retain !== 'number')
    throw new Error('Tuning by ToW measures every trial against the retrain of this cell and seed, which did not finish')
  return { settings: spec.tuning!, objective, retrain: { forgetAccuracy: forget, retainAccuracy: retain } }
}
