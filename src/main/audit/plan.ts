import { cellSpec, expandCells, originalRecipe, type SweepCell } from '@shared/sweep'
import type { MethodRun, TaskSpec } from '@shared/task-spec'
import { canonicalJson, contentKey } from './content-key'

/** The method name a task's runs record for the model every method starts from. */
export const ORIGINAL = 'original'

/** The method name a task's runs record for the reference models of the membership attacks. */
export const REFERENCE = 'reference'

/** One planned model: the original of a (cell, seed), a method run from it, or a model of the privacy evidence. */
export interface PlannedStep {
  method: typeof ORIGINAL | typeof REFERENCE | MethodRun['id']
  params: Record<string, unknown>
  /** Where a finished model of this step is cached and found again; null when it is never reused. */
  cacheKey: string | null
  /** Reference model k, or extra retrain r of the band (RunRecord.replica); null for the audit's own runs. */
  replica: number | null
}

/** A (cell, seed): its original, then the methods that start from it. */
export interface PlanGroup {
  cell: SweepCell
  seed: number
  original: PlannedStep
  /**
   * The reference models of the attacks, trained with the original's recipe: planned in the first group
   * of each training pool only; the other groups on that pool find them cached.
   */
  references: PlannedStep[]
  /** Where the reference models of the group's training pool are cached: every group's attacks find them there. */
  referenceKeys: string[]
  /** The seed the reference models' halves and initialisations derive from (see `referencePool`). */
  referenceSeed: number
  /** The methods, each extra retrain of the privacy band right after the retrain. */
  methods: Array<PlannedStep & { method: MethodRun['id'] }>
  /** Whether the group's finished models are attacked once its runs have ended (the spec asks for privacy evidence). */
  attacked: boolean
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
  /**
   * Only these (cell, seed) groups, as one shard of a sharded audit runs them: the reference models
   * of each pool are then planned in the first group of the pool that the shard has.
   */
  only?: (cellKey: string, seed: number) => boolean
}

/**
 * What the reference models depend on: the original's recipe without its seed where the training pool
 * does not depend on the seed (the leading samples of the dataset), so every seed shares them; with
 * it for corrupted tasks, whose pool is corrupted by the seed.
 */
function referencePool(recipe: Record<string, unknown>, task: SweepCell['task'], seed: number): { pool: unknown; seed: number } {
  return task.kind === 'corrupted' ? { pool: recipe, seed } : { pool: { ...recipe, seed: null }, seed: 0 }
}

export function planAudit(spec: TaskSpec, opts: PlanOptions): AuditPlan {
  const groups: PlanGroup[] = []
  const chains = new Map<string, PlanGroup[]>()
  const pools = new Set<string>()
  for (const cell of expandCells(spec)) {
    const concrete = cellSpec(spec, cell)
    for (const seed of spec.seeds) {
      if (opts.only && !opts.only(cell.key, seed)) continue
      const recipe = originalRecipe(spec, cell.task, seed, cell.model)
      const original: PlannedStep = {
        method: ORIGINAL,
        params: { ...spec.train },
        cacheKey: opts.givenModelMeasured ? null : contentKey('original', opts.datasetSha256, recipe),
        replica: null
      }
      const chainKey = canonicalJson(recipe)
      const { pool, seed: referenceSeed } = referencePool(recipe, cell.task, seed)
      const firstOfPool = !pools.has(canonicalJson(pool))
      if (spec.privacy) pools.add(canonicalJson(pool))
      // Reference model k is the same model whatever K an audit asks for (engine/data/reference-halves.ts).
      const referenceKeys = Array.from({ length: spec.privacy?.referenceModels ?? 0 }, (_, k) =>
        contentKey('reference', opts.datasetSha256, { recipe: pool, index: k })
      )
      const references: PlannedStep[] = firstOfPool
        ? referenceKeys.map((cacheKey, k) => ({ method: REFERENCE, params: { index: k }, cacheKey, replica: k }))
        : []
      // Retrain is deterministic given its recipe, its task and its settings: it is cached too.
      const retrainKey = (params: Record<string, unknown>, replica: number | null) =>
        contentKey('retrain', opts.datasetSha256, { recipe, task: cell.task, params, ...(replica ? { replica } : {}) })
      const methods = concrete.methods.flatMap((m) => {
        const step = { method: m.id, params: m.params, cacheKey: m.id === 'retrain' ? retrainKey(m.params, null) : null, replica: null }
        if (m.id !== 'retrain' || !spec.privacy) return [step]
        const extra = Array.from({ length: spec.privacy.retrains - 1 }, (_, i) => ({
          method: m.id,
          params: m.params,
          cacheKey: retrainKey(m.params, i + 1),
          replica: i + 1
        }))
        return [step, ...extra]
      })
      const group = { cell, seed, original, references, referenceKeys, referenceSeed, methods, attacked: spec.privacy !== undefined }
      groups.push(group)
      chains.set(chainKey, [...(chains.get(chainKey) ?? []), group])
    }
  }
  const steps = groups.flatMap((group) => [group.original, ...group.references, ...group.methods].map((step) => ({ group, step })))
  return { groups, chains: [...chains.values()], steps }
}
