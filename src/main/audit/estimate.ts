import { architectureOf, type TaskSpec } from '@shared/task-spec'
import type { AuditStore } from '../store/audit-store'
import type { AuditPlan, PlannedStep } from './plan'

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
const passes = (params: Record<string, unknown>, trainEpochs: number): number =>
  typeof params.epochs === 'number' ? params.epochs : trainEpochs

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
    const arch = h.arch ?? 'imported'
    const kind = h.reused ? EVALUATE : h.method
    const work = h.trainCount * (h.reused ? 1 : passes(h.params, h.trainEpochs))
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
 * How long an audit will take on this machine, before it starts: every step of its plan priced at
 * the median speed its method showed here before; a model already in the cache (or planned
 * earlier in the same audit), or a given original measured as it is, priced as a measurement.
 */
export function estimateAudit(store: AuditStore, spec: TaskSpec, plan: AuditPlan, trainCount: number, jobs: number): AuditEstimate {
  const { rates, runs: measuredRuns } = measuredRates(store)
  const arch = architectureOf(spec.model) ?? 'imported'
  const unmeasured = new Set<string>()
  const seen = new Set<string>()
  let reusedModels = 0
  let seconds = 0
  const measure = () => (seconds += (rateFor(rates, EVALUATE, arch) ?? 0) * trainCount)
  const price = (step: PlannedStep, work: number) => {
    if (step.cacheKey && (seen.has(step.cacheKey) || store.modelCache.find(step.cacheKey))) {
      reusedModels++
      return measure()
    }
    if (step.cacheKey) seen.add(step.cacheKey)
    const rate = rateFor(rates, step.method, arch)
    if (rate === null) unmeasured.add(step.method)
    else seconds += rate * work
  }
  for (const group of plan.groups) {
    if (group.original.cacheKey === null) measure()
    else price(group.original, trainCount * spec.train.epochs)
    for (const m of group.methods) price(m, trainCount * passes(m.params, spec.train.epochs))
  }
  const parallel = Math.max(1, Math.min(jobs, plan.chains.length))
  return {
    runs: plan.steps.length,
    reusedModels,
    seconds,
    wallSeconds: seconds / parallel,
    jobs,
    measuredRuns,
    unmeasured: [...unmeasured]
  }
}
