import { PRIVACY_TIERS, type PrivacyTier } from '@shared/privacy/settings'
import { architectureLabel, type TaskSpec } from '@shared/task-spec'
import type { AuditStore } from '../store/audit-store'
import { isTuned } from './tuning-targets'
import { type AuditPlan, type PlanGroup, type PlannedStep, planAudit, type PlanOptions, REFERENCE } from './plan'

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
  privacy: { referenceModels: number; extraRetrains: number; seconds: number } | null
  privacyTiers: Array<{ tier: PrivacyTier; seconds: number; wallSeconds: number }>
}

// RMIA's population (at most 2,000 test samples) is scored beside the attacked pairs.
const ATTACK_POPULATION = 2000

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
    // A reference model trains on half of the pool.
    const share = h.method === REFERENCE && !h.reused ? 0.5 : 1
    const work = share * h.trainCount * (h.reused ? 1 : passes(h.params, h.trainEpochs))
    if (work <= 0) continue
    const key = `${kind}|${arch}`
    samples.set(key, [...(samples.get(key) ?? []), h.seconds / work])
  }
  return { rates: new Map([...samples].map(([k, v]) => [k, median(v)])), runs: history.length }
}

/**
 * A method's rate on `arch` (an architecture label: each width is priced on its own); else its rate
 * elsewhere scaled by how much slower `arch` trains an original.
 */
function rateFor(rates: Map<string, number>, method: string, arch: string): number | null {
  const own = rates.get(`${method}|${arch}`)
  if (own !== undefined) return own
  // A reference model is the original's recipe on half the pool: until one was timed here, it trains at the original's pace.
  if (method === REFERENCE) return rateFor(rates, 'original', arch)
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
export function estimateAudit(
  store: AuditStore,
  spec: TaskSpec,
  planOptions: PlanOptions,
  trainCount: number,
  jobs: number
): AuditEstimate {
  const priced = pricePlan(store, spec, planAudit(spec, planOptions), trainCount, jobs)
  const withRetrain = (s: TaskSpec): TaskSpec =>
    s.methods.some((m) => m.id === 'retrain') ? s : { ...s, methods: [...s.methods, { id: 'retrain', params: {} }] }
  const privacyTiers = (Object.keys(PRIVACY_TIERS) as PrivacyTier[]).map((tier) => {
    const tiered = withRetrain({ ...spec, privacy: PRIVACY_TIERS[tier] })
    const t = pricePlan(store, tiered, planAudit(tiered, planOptions), trainCount, jobs)
    return { tier, seconds: t.seconds, wallSeconds: t.wallSeconds }
  })
  return { ...priced, privacyTiers }
}

/**
 * Engine-seconds of some of a plan's groups run on their own (one shard of a sharded audit): their
 * originals, reference models, methods and attacks, priced as the estimate prices a whole audit, but
 * with nothing cached, as on the machine that will run them.
 */
export function priceGroups(store: AuditStore, spec: TaskSpec, groups: PlanGroup[], trainCount: number): number {
  return pricePlan(store, spec, { groups, chains: [groups], steps: [] }, trainCount, 1, true).seconds
}

function pricePlan(
  store: AuditStore,
  spec: TaskSpec,
  plan: AuditPlan,
  trainCount: number,
  jobs: number,
  /** A shard runs on another machine, whose model cache starts empty. */
  freshCache = false
): Omit<AuditEstimate, 'privacyTiers'> {
  const { rates, runs: measuredRuns } = measuredRates(store)
  // A sweep over the model's width prices each cell at its own width.
  let arch = architectureLabel(spec.model) ?? 'imported'
  const unmeasured = new Set<string>()
  const seen = new Set<string>()
  let reusedModels = 0
  let seconds = 0
  const privacy = { referenceModels: 0, extraRetrains: 0, seconds: 0 }
  // Until a model was measured here, a forward pass is priced at a third of a training step (forward, backward, update).
  const evaluateRateOf = (a: string) => {
    const originalRate = rateFor(rates, 'original', a)
    return rateFor(rates, EVALUATE, a) ?? (originalRate === null ? 0 : originalRate / 3)
  }
  let evaluateRate = evaluateRateOf(arch)
  const measure = () => (seconds += evaluateRate * trainCount)
  // Originals run one per chain; what starts from them runs side by side on every engine process.
  let originalSeconds = 0
  const price = (step: PlannedStep, work: number) => {
    const before = seconds
    if (step.cacheKey && (seen.has(step.cacheKey) || (!freshCache && store.modelCache.find(step.cacheKey)))) {
      reusedModels++
      measure()
    } else {
      if (step.cacheKey) seen.add(step.cacheKey)
      const rate = rateFor(rates, step.method, arch)
      if (rate === null) unmeasured.add(step.method)
      else seconds += rate * work
      if (step.replica !== null && step.method === REFERENCE) privacy.referenceModels++
      else if (step.replica !== null) privacy.extraRetrains++
    }
    if (step.replica !== null) privacy.seconds += seconds - before
  }
  for (const group of plan.groups) {
    arch = architectureLabel(group.cell.model ?? spec.model) ?? 'imported'
    evaluateRate = evaluateRateOf(arch)
    const before = seconds
    if (group.original.cacheKey === null) measure()
    else price(group.original, trainCount * spec.train.epochs)
    originalSeconds += seconds - before
    for (const r of group.references) price(r, (trainCount / 2) * spec.train.epochs)
    // A tuned method runs its trials (on a little less data) before its own run.
    const runsOf = (m: PlannedStep) => (isTuned(spec, m) ? spec.tuning!.trials + 1 : 1)
    for (const m of group.methods) price(m, trainCount * passes(m.params, spec.train.epochs) * runsOf(m))
    if (group.attacked && spec.privacy) {
      // Every reference model and every model of the group scores the attacked samples once.
      const scored = 2 * spec.privacy.attackSize + ATTACK_POPULATION
      const attack = evaluateRate * scored * (spec.privacy.referenceModels + 1 + group.methods.length)
      seconds += attack
      privacy.seconds += attack
    }
  }
  const chains = Math.max(1, Math.min(jobs, plan.chains.length))
  const widest = Math.max(1, ...plan.groups.map((g) => g.references.length + g.methods.length))
  const sideBySide = Math.max(1, Math.min(jobs, Math.max(plan.chains.length, widest)))
  return {
    runs: plan.steps.length,
    reusedModels,
    seconds,
    wallSeconds: originalSeconds / chains + (seconds - originalSeconds) / sideBySide,
    jobs,
    measuredRuns,
    unmeasured: [...unmeasured],
    privacy: spec.privacy ? privacy : null
  }
}
