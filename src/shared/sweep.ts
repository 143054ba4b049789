import { crossProduct, type ForgetTask, type JobTask, type ModelRef, type TaskSpec } from './task-spec'

/** One point of a sweep's task space: a concrete task, named by the values that vary. */
export interface SweepCell {
  /** Stable identity within the audit, e.g. `corruption=poison,discoveryRate=0.5`; '' when nothing is swept. */
  key: string
  coords: Record<string, unknown>
  task: ForgetTask
  /** The cell's model when its width is swept; otherwise the spec's. */
  model?: ModelRef
}

// Outermost first: cells that share a training recipe (and so an original model) come together.
const TASK_FIELDS = ['corruption', 'corruptedCount', 'classes', 'fraction', 'discoveryRate'] as const

/** The audit's cells: the cross product of the swept model width and task fields, or the task itself. */
export function expandCells(spec: TaskSpec): SweepCell[] {
  const lists: Record<string, readonly unknown[]> = {}
  if (spec.sweep?.width) lists.width = spec.sweep.width
  for (const field of TASK_FIELDS) {
    const values = spec.sweep?.[field]
    if (values) lists[field] = values
  }
  return crossProduct(lists).map((coords) => {
    const { width, ...taskCoords } = coords
    return {
      key: Object.entries(coords)
        .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : String(v)}`)
        .join(','),
      coords,
      task: { ...spec.task, ...taskCoords } as ForgetTask,
      ...(width !== undefined && 'arch' in spec.model ? { model: { ...spec.model, width: width as number } } : {})
    }
  })
}

/** The concrete spec of one cell: what the engine runs. */
export function cellSpec(spec: TaskSpec, cell: SweepCell): TaskSpec {
  const concrete: TaskSpec = { ...spec, task: cell.task, model: cell.model ?? spec.model }
  delete concrete.sweep
  return concrete
}

/** What the engine gets of one cell: the dataset, model and recipe of the audit, and the cell's task. */
export function cellJobTask(spec: TaskSpec, cell: SweepCell): JobTask {
  return { dataset: spec.dataset, model: cell.model ?? spec.model, train: spec.train, task: cell.task }
}

/**
 * What decides an original model's weights: the data subset, the architecture, the training recipe,
 * the seed, and, for corrupted tasks, how the training set was corrupted (not which part is known).
 */
export function originalRecipe(spec: TaskSpec, task: ForgetTask, seed: number, model: ModelRef = spec.model): Record<string, unknown> {
  const corruption =
    task.kind === 'corrupted'
      ? {
          corruption: task.corruption,
          corruptedCount: task.corruptedCount,
          ...(task.corruption === 'poison' ? { trigger: task.trigger } : {}),
          ...(task.corruption === 'interclass-swap' ? { swapClasses: task.swapClasses } : {})
        }
      : null
  return { dataset: spec.dataset, model, train: spec.train, seed, corruption }
}

/**
 * Runs an audit means: per cell and seed, the original plus every method run; with privacy evidence,
 * the extra retrains of each cell and seed and K reference models per distinct original.
 */
export function plannedRunCount(spec: TaskSpec): number {
  const cells = expandCells(spec)
  const groups = cells.length * spec.seeds.length
  const retrains = spec.methods.filter((m) => m.id === 'retrain').length
  if (!spec.privacy) return groups * (spec.methods.length + 1)
  const originals = new Set(cells.flatMap((c) => spec.seeds.map((seed) => JSON.stringify(originalRecipe(spec, c.task, seed, c.model)))))
    .size
  return groups * (spec.methods.length + 1 + retrains * (spec.privacy.retrains - 1)) + originals * spec.privacy.referenceModels
}
