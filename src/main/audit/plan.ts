import { cellSpec, expandCells, originalRecipe, type SweepCell } from '@shared/sweep'
import type { MethodRun, TaskSpec } from '@shared/task-spec'
import { canonicalJson, contentKey } from './content-key'

/** The method name a task's runs record for the model every method starts from. */
export const ORIGINAL = 'original'

/** One planned model: the original of a (cell, seed), or one method run from it. */
export interface PlannedStep {
  method: typeof ORIGINAL | MethodRun['id']
  params: Record<string, unknown>
  /** Where a finished model of this step is cached and found again; null when it is never reused. */
  cacheKey: string | null
}

/** A (cell, seed): its original, then the methods that start from it. */
export interface PlanGroup {
  cell: SweepCell
  seed: number
  original: PlannedStep
  methods: Array<PlannedStep & { method: MethodRun['id'] }>
}

/**
 * Everything an audit will run, derived once from the spec: the service executes it, the estimate
 * prices it, and both see the same cache keys. Groups that share an original (same data, recipe,
 * seed and corruption) form a chain: they run one after another so the later ones find it cached.
 */
export interface AuditPlan {
  groups: PlanGroup[]
  chains: PlanGroup[][]
  /** Every step in the order the task's run rows are created (and so stored). */
  steps: Array<{ group: PlanGroup; step: PlannedStep }>
}

export interface PlanOptions {
  datasetSha256: string
  /** The original is a given model measured as it is: there is nothing to train or cache. */
  givenModelMeasured: boolean
}

export function planAudit(spec: TaskSpec, opts: PlanOptions): AuditPlan {
  const groups: PlanGroup[] = []
  const chains = new Map<string, PlanGroup[]>()
  for (const cell of expandCells(spec)) {
    const concrete = cellSpec(spec, cell)
    for (const seed of spec.seeds) {
      const recipe = originalRecipe(spec, cell.task, seed)
      const original: PlannedStep = {
        method: ORIGINAL,
        params: { ...spec.train },
        cacheKey: opts.givenModelMeasured ? null : contentKey('original', opts.datasetSha256, recipe)
      }
      // Retrain is deterministic given its recipe, its task and its settings: it is cached too.
      const methods = concrete.methods.map((m) => ({
        method: m.id,
        params: m.params,
        cacheKey: m.id === 'retrain' ? contentKey('retrain', opts.datasetSha256, { recipe, task: cell.task, params: m.params }) : null
      }))
      const group = { cell, seed, original, methods }
      groups.push(group)
      const chainKey = canonicalJson(recipe)
      chains.set(chainKey, [...(chains.get(chainKey) ?? []), group])
    }
  }
  const steps = groups.flatMap((group) => [group.original, ...group.methods].map((step) => ({ group, step })))
  return { groups, chains: [...chains.values()], steps }
}
