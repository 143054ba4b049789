import { cellSpec, expandCells, originalRecipe, plannedRunCount } from '../../shared/sweep'
import { architectureOf, type TaskSpec } from '../../shared/task-spec'
import type { AuditStore } from '../store/audit-store'
import { canonicalJson, contentKey } from './content-key'

export interface AuditEstimate {
  runs: number
  /** Originals and retrains found in the model cache (or planned twice): measured, not trained. */
  reusedModels: number
  /** Engine-seconds of the runs with a measured speed, and the wall time at the planned parallelism. */
  seconds: number
  wallSeconds: number
  jobs: number
  /** How many finished runs on this machine the speeds come from. */
  measuredRuns: number
  /** Methods never run here on this architecture: left out of the estimate. */
  unmeasured: string[]
}

// A run's work: training samples times passes over them (methods without an epoch count make one).
const EVALUATE = 'evaluate'
const passes = (params: Record<string, unknown>, spec: { train?: { epochs?: unknown } }): number =>
  typeof params.epochs === 'number' ? params.epochs : typeof spec.train?.epochs === 'number' ? spec.train.epochs : 1

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}

/** Seconds per unit of work, per `method|arch`, from the finished runs in the store. */
function measuredRates(store: AuditStore): { rates: Map<string, number>; runs: number } {
  const samples = new Map<string, number[]>()
  const history = store.speeds.history()
  for (const h of history) {
    const arch = (h.spec.model as { arch?: string } | undefined)?.arch ?? 'imported'
    const kind = h.reused ? EVALUATE : h.method
    const work = h.trainCount * (h.reused ? 1 : passes(h.params, h.spec as { train?: { epochs?: unknown } }))
    if (work <= 0) continue
    const key = `${kind}|${arch}`
    samples.set(key, [...(samples.get(key) ?? []), h.seconds / work])
  }
  return { rates: new Map([...samples].map(([k, v]) => [k, median(v)])), runs: history.length }
}

/** A method's rate on `arch`; else its rate elsewhere scaled by how much slower `arch` trains an original. */
function rateFor(rates: Map<string, number>, method: string, arch: string): number | null {
  const own = rates.get(`${method}|${arch}`)
  if (own !== undefined) return own
  const here = rates.get(`original|${arch}`)
  if (here === undefined) return null
  for (const [key, rate] of rates) {
    const [m, other] = key.split('|')
    const there = rates.get(`original|${other}`)
    if (m === method && there) return (rate * here) / there
  }
  return null
}

/**
 * How long an audit will take on this machine, before it starts: every planned run priced at the
 * median speed its method showed here before, models already in the cache priced as a measurement.
 */
export function estimateAudit(store: AuditStore, spec: TaskSpec, datasetSha256: string, trainCount: number, jobs: number): AuditEstimate {
  const { rates, runs: measuredRuns } = measuredRates(store)
  const arch = architectureOf(spec.model) ?? 'imported'
  const unmeasured = new Set<string>()
  const seen = new Set<string>()
  const chains = new Set<string>()
  let reusedModels = 0
  let seconds = 0
  const price = (method: string, work: number, cacheKey: string | null) => {
    if (cacheKey && (seen.has(cacheKey) || store.modelCache.find(cacheKey))) {
      reusedModels++
      seconds += (rateFor(rates, EVALUATE, arch) ?? 0) * trainCount
      return
    }
    if (cacheKey) seen.add(cacheKey)
    const rate = rateFor(rates, method, arch)
    if (rate === null) unmeasured.add(method)
    else seconds += rate * work
  }
  for (const cell of expandCells(spec)) {
    const concrete = cellSpec(spec, cell)
    for (const seed of spec.seeds) {
      const recipe = originalRecipe(spec, cell.task, seed)
      chains.add(canonicalJson(recipe))
      price('original', trainCount * spec.train.epochs, contentKey('original', datasetSha256, recipe))
      for (const m of concrete.methods) {
        const key = m.id === 'retrain' ? contentKey('retrain', datasetSha256, { recipe, task: cell.task, params: m.params }) : null
        price(m.id, trainCount * passes(m.params, spec), key)
      }
    }
  }
  const parallel = Math.max(1, Math.min(jobs, chains.size))
  return { runs: plannedRunCount(spec), reusedModels, seconds, wallSeconds: seconds / parallel, jobs, measuredRuns, unmeasured: [...unmeasured] }
}
