import type { RunRecord, TaskSummary } from './api/contract'
import { runTask } from './charts/run-task'

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

const field = (value: unknown, key: string): unknown => (value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined)

/** Whether an audit's dataset, model and task kind pass the filter. */
export function taskMatches(task: Pick<TaskSummary, 'spec'>, f: RunFilter): boolean {
  return (
    (!f.dataset || field(task.spec.dataset, 'id') === f.dataset) &&
    (!f.model || field(task.spec.model, 'arch') === f.model) &&
    (!f.taskKind || field(task.spec.task, 'kind') === f.taskKind)
  )
}

/** Whether a run passes: its audit's fields, then its own corruption (sweep cell first), method and seed. */
export function runMatches(run: RunRecord, task: Pick<TaskSummary, 'spec'>, f: RunFilter): boolean {
  if (!taskMatches(task, f)) return false
  const concrete = runTask(run, (task.spec.task ?? {}) as Record<string, unknown>)
  // The original and retrain are every method's references: a method filter keeps them.
  const reference = run.method === 'original' || run.method === 'retrain'
  return (
    (!f.corruption || concrete.corruption === f.corruption) &&
    (f.methods.length === 0 || reference || f.methods.includes(run.method)) &&
    (f.seed === null || run.seed === f.seed)
  )
}

/** The values each filter can take, from the audits and runs at hand. */
export function filterChoices(tasks: Array<Pick<TaskSummary, 'spec'>>, runs: RunRecord[], baseTask: Record<string, unknown>) {
  const distinct = <T>(values: T[]) => [...new Set(values.filter((v) => v !== undefined && v !== null && v !== ''))]
  return {
    datasets: distinct(tasks.map((t) => field(t.spec.dataset, 'id') as string)),
    models: distinct(tasks.map((t) => field(t.spec.model, 'arch') as string)),
    taskKinds: distinct(tasks.map((t) => field(t.spec.task, 'kind') as string)),
    corruptions: distinct(runs.map((r) => runTask(r, baseTask).corruption as string)),
    methods: distinct(runs.map((r) => r.method)),
    seeds: distinct(runs.map((r) => r.seed)).sort((a, b) => a - b)
  }
}
