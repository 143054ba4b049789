import type { RunRecord } from './api/contract'
import { runTask } from './charts/run-task'
import { architectureLabel, type ForgetTask, type TaskSpec } from './task-spec'

/** What the comparison views show; an empty value (or list) lets everything through. */
export interface RunFilter {
  dataset: string
  model: string
  taskKind: string
  corruption: string
  methods: string[]
  seed: number | null
}

export const NO_FILTER: RunFilter = { dataset: '', model: '', taskKind: '', corruption: '', methods: [], seed: null }

/**
 * What the filters read of an audit (a `TaskSummary` is one): its dataset's id, its original model, and
 * its forgetting task, whose kind is filtered on and which each run's sweep cell is laid over.
 */
export interface FilteredTask {
  spec: { dataset: Pick<TaskSpec['dataset'], 'id'>; model: TaskSpec['model']; task: Pick<ForgetTask, 'kind'> }
}

/** Whether an audit's dataset, model and task kind pass the filter. */
export function taskMatches(task: FilteredTask, f: RunFilter): boolean {
  return (
    (!f.dataset || task.spec.dataset.id === f.dataset) &&
    (!f.model || architectureLabel(task.spec.model) === f.model) &&
    (!f.taskKind || task.spec.task.kind === f.taskKind)
  )
}

/**
 * Whether a run is one of the audit's own (the original, retrain, a method) rather than a model of the
 * privacy evidence (a reference model, an extra retrain of the band): the comparison views show only these.
 */
export const isAuditRun = (run: Pick<RunRecord, 'replica'>): boolean => run.replica === null

/** Whether a run passes: its audit's fields, then its own corruption (sweep cell first), method and seed. */
export function runMatches(run: RunRecord, task: FilteredTask, f: RunFilter): boolean {
  if (!taskMatches(task, f)) return false
  const concrete = runTask(run, task.spec.task)
  // The original and retrain are every method's references: a method filter keeps them.
  const reference = run.method === 'original' || run.method === 'retrain'
  return (
    (!f.corruption || concrete.corruption === f.corruption) &&
    (f.methods.length === 0 || reference || f.methods.includes(run.method)) &&
    (f.seed === null || run.seed === f.seed)
  )
}

/** The values each filter can take, from the audits and runs at hand. */
export function filterChoices(tasks: FilteredTask[], runs: RunRecord[], baseTask: Record<string, unknown>) {
  const distinct = <T>(values: Array<T | null | undefined>): T[] => [
    ...new Set(values.filter((v): v is T => v !== undefined && v !== null && v !== ''))
  ]
  return {
    datasets: distinct(tasks.map((t) => t.spec.dataset.id)),
    // A given model (from the library or a file) has no architecture to filter on.
    models: distinct(tasks.map((t) => architectureLabel(t.spec.model))),
    taskKinds: distinct(tasks.map((t) => t.spec.task.kind)),
    corruptions: distinct(runs.map((r) => runTask(r, baseTask).corruption)).filter((c) => typeof c === 'string'),
    methods: distinct(runs.map((r) => r.method)),
    seeds: distinct(runs.map((r) => r.seed)).sort((a, b) => a - b)
  }
}
