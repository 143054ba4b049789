import { createHash } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { AuditChange, ProgressEvent, ShardRef } from '@shared/api/contract'
import { cellSpec, expandCells, plannedRunCount } from '@shared/sweep'
import { checkSpecAgainstDataset, parseTaskSpec, SpecError, type TaskSpec } from '@shared/task-spec'
import { EngineJobError } from '../engine-host/host'
import type { EnginePool } from '../engine-host/pool'
import type { JobResult } from '../engine/protocol'
import type { AuditStore } from '../store/audit-store'
import { type AuditInputDeps, datasetOf, type GivenOriginal, givenOriginal, resolveModelPath } from './audit-inputs'
import { canonicalJson } from './content-key'
import { hashDataset } from './dataset-hash'
import { GroupAttacks } from './attack-pass'
import { engineJob, type JobInputs } from './engine-job'
import { type AuditEstimate, estimateAudit } from './estimate'
import { type AuditPlan, ORIGINAL, type PlanGroup, type PlannedStep, planAudit, type PlanOptions } from './plan'
import { groupKey } from './shards'
import { RunControl } from './run-control'
import { type RecordedModel, RunRecorder } from './run-recorder'
import { isTuned, jobTuning, retrainToWaitFor } from './tuning-targets'

export { ORIGINAL }

export interface AuditEvents {
  progress: (e: ProgressEvent) => void
  changed: (e: AuditChange) => void
}

/** A plan whose steps have rows: the run id of every planned step. */
interface BoundPlan {
  plan: AuditPlan
  runIds: Map<PlannedStep, string>
}

// A sweep larger than this is almost certainly a typo in a list.
const MAX_RUNS = 5000

/**
 * When the reference models of each training pool are done: they are trained in the first group on
 * the pool, and the groups of other seeds on it (other chains, running side by side) wait for them
 * before their attacks. That group's chain starts no later than theirs, so nothing waits on a chain
 * that cannot start.
 */
class ReferencesReady {
  private readonly ready = new Map<string, { promise: Promise<void>; settle: () => void }>()

  constructor(plan: AuditPlan) {
    for (const step of plan.groups.flatMap((g) => g.references)) {
      let settle = () => {}
      const promise = new Promise<void>((resolve) => (settle = resolve))
      this.ready.set(step.cacheKey!, { promise, settle })
    }
  }

  settle(group: PlanGroup): void {
    for (const step of group.references) this.ready.get(step.cacheKey!)?.settle()
  }

  settleAll(): void {
    for (const r of this.ready.values()) r.settle()
  }

  async of(group: PlanGroup): Promise<void> {
    await Promise.all(group.referenceKeys.map((k) => this.ready.get(k)?.promise))
  }
}

/** Runs `work` over `items`, at most `limit` at a time, in order of start. */
async function runConcurrently<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  const worker = async () => {
    while (next < items.length) await work(items[next++]!)
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
}

/** The planner's filter for a shard's groups; nothing for an audit that runs whole. */
const shardFilter = (shard: ShardRef | null): Pick<PlanOptions, 'only'> => {
  if (!shard) return {}
  const keys = new Set(shard.groups.map(groupKey))
  return { only: (cellKey, seed) => keys.has(groupKey({ cellKey, seed })) }
}

const specSha256 = (spec: TaskSpec) => createHash('sha256').update(canonicalJson(spec)).digest('hex')

/**
 * Turns a task spec into runs and executes them: per cell and seed, the original model is trained
 * once, then every method starts from it. The plan says what runs, `RunControl` who may stop it,
 * and `RunRecorder` writes every ending; this class schedules.
 */
export class AuditService {
  private readonly control = new RunControl()
  private readonly recorder: RunRecorder
  private readonly attacks: GroupAttacks
  private readonly listeners: Array<Partial<AuditEvents>> = []
  private readonly estimateHashes = new Map<string, string>()
  private readonly inputs: AuditInputDeps

  constructor(
    private readonly store: AuditStore,
    private readonly engine: EnginePool,
    private readonly paths: { resourcesDir: string; dataDir: string }
  ) {
    this.recorder = new RunRecorder(store, paths.dataDir, (e) => this.emit('changed', e))
    this.attacks = new GroupAttacks(store, engine, paths, (e) => this.emit('changed', e))
    this.inputs = { store, engine, paths }
  }

  on(listener: Partial<AuditEvents>): () => void {
    this.listeners.push(listener)
    return () => this.listeners.splice(this.listeners.indexOf(listener), 1)
  }

  /**
   * Validates the spec and creates the task and its runs; throws SpecError naming the bad field. With
   * `shard`, only that shard's groups get runs (a sharded audit, run by `npm run audit -- run-shard`).
   */
  async create(rawSpec: unknown, shard: ShardRef | null = null): Promise<{ taskId: string; spec: TaskSpec; bound: BoundPlan }> {
    const spec = parseTaskSpec(await resolveModelPath(this.inputs, rawSpec, { importIfNew: true }))
    const location = datasetOf(this.inputs, spec)
    const info = location.info
    const given = givenOriginal(this.inputs, spec)
    for (const cell of expandCells(spec))
      checkSpecAgainstDataset(cellSpec(spec, cell), {
        numClasses: info.classNames.length,
        trainSize: info.trainSize,
        testSize: info.testSize
      })
    const total = plannedRunCount(spec)
    if (total > MAX_RUNS) throw new SpecError(`sweep: ${total} runs planned, more than the ${MAX_RUNS} one audit may hold; shorten a list`)
    const sha = await hashDataset(location)
    const plan = planAudit(spec, { datasetSha256: sha, givenModelMeasured: given?.use === 'measure', ...shardFilter(shard) })
    if (shard && plan.groups.length !== shard.groups.length)
      throw new SpecError(
        `shard ${shard.index}: ${shard.groups.length - plan.groups.length} of its groups are not cells and seeds of its spec`
      )
    const runIds = new Map<PlannedStep, string>()
    const taskId = this.store.transaction(() => {
      if (!location.imported)
        this.store.datasets.upsert({
          id: info.id,
          name: info.name,
          source: 'builtin',
          sha256: sha,
          numClasses: info.classNames.length,
          inputShape: info.inputShape
        })
      const id = this.store.tasks.create({ name: spec.name, spec, specSha256: specSha256(spec), datasetId: info.id, shard })
      plan.steps.forEach(({ group, step }, position) => {
        runIds.set(
          step,
          this.store.runs.create({
            taskId: id,
            method: step.method,
            params: step.params,
            seed: group.seed,
            position,
            replica: step.replica,
            ...(spec.sweep ? { cell: group.cell } : {})
          })
        )
      })
      return id
    })
    return { taskId, spec, bound: { plan, runIds } }
  }

  /** How many runs a spec means and how long they should take here, without creating anything. */
  async estimate(rawSpec: unknown, shard: ShardRef | null = null): Promise<AuditEstimate> {
    const spec = parseTaskSpec(await resolveModelPath(this.inputs, rawSpec, { importIfNew: false }))
    const location = datasetOf(this.inputs, spec)
    const info = location.info
    // Estimates follow every edit of the form; the files are read once (the audit itself hashes them again).
    const sha = this.estimateHashes.get(info.id) ?? (await hashDataset(location))
    this.estimateHashes.set(info.id, sha)
    const planOptions = {
      datasetSha256: sha,
      givenModelMeasured: givenOriginal(this.inputs, spec)?.use === 'measure',
      ...shardFilter(shard)
    }
    const trainCount = Math.min(spec.dataset.trainLimit ?? info.trainSize, info.trainSize)
    return estimateAudit(this.store, spec, planOptions, trainCount, this.engine.size)
  }

  /**
   * Runs what a task still owes: queued and interrupted runs, starting each from its cell's
   * original (trained again only if it never finished). Finished runs are never repeated.
   */
  resume(taskId: string): { done: Promise<void>; pending: number } {
    const task = this.store.tasks.get(taskId)
    if (!task) throw new SpecError(`No audit with id ${taskId}`)
    if (task.origin) throw new SpecError(`The audit ${taskId} was imported from a bundle: it is shown here, never run`)
    if (this.control.isActive(taskId)) throw new SpecError(`The audit ${taskId} is already running`)
    const spec = task.spec
    const plan = planAudit(spec, {
      datasetSha256: task.datasetSha256,
      givenModelMeasured: givenOriginal(this.inputs, spec)?.use === 'measure',
      ...shardFilter(task.shard)
    })
    const stored = this.store.runs.list(taskId)
    // The rows were created from this same plan, in this order: a mismatch means the database was altered.
    const fits =
      stored.length === plan.steps.length &&
      stored.every(
        (r, i) =>
          r.method === plan.steps[i]!.step.method &&
          r.seed === plan.steps[i]!.group.seed &&
          r.cellKey === plan.steps[i]!.group.cell.key &&
          r.replica === plan.steps[i]!.step.replica
      )
    if (!fits)
      throw new Error(
        `The runs stored for audit ${taskId} do not match its spec (${stored.length} rows, ${plan.steps.length} planned); it cannot be resumed`
      )
    const runIds = new Map(plan.steps.map(({ step }, i) => [step, stored[i]!.id]))
    this.control.releaseRuns(runIds.values())
    const pending = stored.filter((r) => r.status === 'queued' || r.status === 'interrupted').length
    return { done: this.execute(taskId, spec, { plan, runIds }), pending }
  }

  /**
   * Runs an audit's failed and cancelled runs again (after an engine crash, say), with the queued
   * ones; finished runs are kept. The cells whose original failed train it again first.
   */
  retryEnded(taskId: string): { done: Promise<void>; requeued: number } {
    const task = this.store.tasks.get(taskId)
    if (!task) throw new SpecError(`No audit with id ${taskId}`)
    if (task.origin) throw new SpecError(`The audit ${taskId} was imported from a bundle: it is shown here, never run`)
    if (this.control.isActive(taskId)) throw new SpecError(`The audit ${taskId} is running; retry its failed runs once it has stopped`)
    const requeued = this.store.runs.requeueEnded(taskId)
    return { done: this.resume(taskId).done, requeued }
  }

  /**
   * The most recent audit of exactly this spec that still owes runs (a sweep cut off by a crash
   * or a cancel), or null. Lets the headless command pick up where it stopped.
   */
  async findResumable(rawSpec: unknown, shard: ShardRef | null = null): Promise<string | null> {
    const sha = specSha256(parseTaskSpec(await resolveModelPath(this.inputs, rawSpec, { importIfNew: false })))
    const sameShard = (t: { shard: ShardRef | null }) =>
      (t.shard?.planSha256 ?? null) === (shard?.planSha256 ?? null) && (t.shard?.index ?? null) === (shard?.index ?? null)
    const task = this.store.tasks
      .list()
      .find((t) => t.specSha256 === sha && sameShard(t) && !t.origin && ((t.counts.queued ?? 0) > 0 || (t.counts.interrupted ?? 0) > 0))
    return task?.id ?? null
  }

  /** Creates the task and runs it in the background; returns once the rows exist. */
  async start(rawSpec: unknown, shard: ShardRef | null = null): Promise<{ taskId: string; done: Promise<void> }> {
    const created = await this.create(rawSpec, shard)
    return { taskId: created.taskId, done: this.execute(created.taskId, created.spec, created.bound) }
  }

  cancel(taskId: string): boolean {
    return this.control.cancelAudit(taskId)
  }

  /** Stops an audit so that it can be resumed: runs in flight go back to the queue. */
  pause(taskId: string): boolean {
    return this.control.pauseAudit(taskId)
  }

  /** Cancels one run: a running one at its next step, a queued one at once. */
  cancelRun(runId: string): boolean {
    if (this.control.stopRun(runId)) return true
    const taskId = this.store.runs.taskIdOf(runId)
    if (!taskId || !this.recorder.isOwed(runId)) return false
    this.recorder.ended(taskId, runId, 'cancelled', 'Cancelled by the user')
    return true
  }

  /** Pauses one run: a running one stops and goes back to the queue, a queued one waits; a resume runs both. */
  pauseRun(runId: string): boolean {
    if (!this.control.isRunning(runId) && !this.recorder.isOwed(runId)) return false
    this.control.holdRun(runId)
    return true
  }

  isActive(taskId: string): boolean {
    return this.control.isActive(taskId)
  }

  private emit<K extends keyof AuditEvents>(kind: K, payload: Parameters<AuditEvents[K]>[0]): void {
    for (const l of this.listeners) (l[kind] as ((p: typeof payload) => void) | undefined)?.(payload)
  }

  private async execute(taskId: string, spec: TaskSpec, { plan, runIds }: BoundPlan): Promise<void> {
    const signal = this.control.beginAudit(taskId)
    const runId = (step: PlannedStep) => runIds.get(step)!
    const references = new ReferencesReady(plan)
    // A cancel or pause stops a group's wait for another chain's reference models too.
    const stopped = new Promise<void>((resolve) =>
      signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })
    )
    try {
      // A given original (an imported model) is measured, or fine-tuned with codes once: every cell starts from it.
      const given = givenOriginal(this.inputs, spec)
      let finished = plan.steps.filter(({ step }) => !this.recorder.isOwed(runId(step))).length
      const progressOf = (f: number) => (finished + f) / plan.steps.length
      const executeGroup = async (group: PlanGroup) => {
        try {
          await executeGroupSteps(group)
        } finally {
          // However the group ended, groups on the same pool stop waiting for its reference models.
          references.settle(group)
        }
        if (group.attacked && !signal.aborted) {
          // Other seeds on the same pool may still be training the reference models (a chain of their own).
          await Promise.race([references.of(group), stopped])
          if (!signal.aborted) await this.attacks.attackGroup(taskId, spec, group, runId, signal)
        }
      }
      const executeGroupSteps = async (group: PlanGroup) => {
        const originalId = runId(group.original)
        let original = this.recorder.finishedModel(originalId)
        // A held original holds its whole cell: its runs cannot start without it.
        if (this.control.isHeld(originalId)) return
        if (this.recorder.isOwed(originalId)) {
          original = await this.executeStep(taskId, spec, group, group.original, originalId, null, signal, progressOf, given)
          finished++
        }
        if (!original) {
          // A cancel or pause of the whole audit is handled below; otherwise the cell's runs cannot start.
          if (!signal.aborted && !this.control.isHeld(originalId)) {
            const cancelled = this.store.runs.statusOf(originalId) === 'cancelled'
            const which = `The original model of seed ${group.seed}${group.cell.key ? ` (${group.cell.key})` : ''}`
            this.recorder.endedQueued(
              taskId,
              cancelled ? 'cancelled' : 'failed',
              cancelled ? `${which} was cancelled` : `${which} could not be trained`,
              { seed: group.seed, cellKey: group.cell.key }
            )
          }
          return
        }
        // Tuning by ToW scores trials against the cell's retrain: it goes first, and tuned methods wait for it.
        const retrain = retrainToWaitFor(spec, group)
        let retrainEnded = () => {}
        const retrainDone = new Promise<void>((resolve) => (retrainEnded = resolve))
        if (!retrain || !this.recorder.isOwed(runId(retrain))) retrainEnded()
        const steps = [...group.references, ...(retrain ? [retrain] : []), ...group.methods.filter((m) => m !== retrain)]
        // The methods of a cell (and the reference models of its pool) only share their original:
        // they run side by side, one per engine process.
        await runConcurrently(steps, this.engine.size, async (step) => {
          const id = runId(step)
          try {
            if (signal.aborted || !this.recorder.isOwed(id) || this.control.isHeld(id)) return
            let tuning: JobInputs['tuning']
            if (isTuned(spec, step)) {
              await Promise.race([retrainDone, stopped])
              if (signal.aborted) return
              try {
                tuning = jobTuning(this.store, spec, group, retrain ? runId(retrain) : null)
              } catch (err) {
                this.recorder.ended(taskId, id, 'failed', (err as Error).message)
                return
              }
            }
            await this.executeStep(taskId, spec, group, step, id, original, signal, progressOf, null, tuning)
            finished++
          } finally {
            if (step === retrain) retrainEnded()
          }
        })
      }
      // Cells that share an original run one after another, so the second finds it cached; chains
      // of different originals run in parallel, as many as the engine pool has processes.
      await runConcurrently(plan.chains, this.engine.size, async (chain) => {
        for (const group of chain) {
          if (signal.aborted) return
          await executeGroup(group)
        }
      })
      if (signal.aborted && !this.control.isPausing(taskId)) this.recorder.endedQueued(taskId, 'cancelled', 'Cancelled by the user')
    } finally {
      references.settleAll()
      this.store.recordVerdict(taskId)
      this.control.endAudit(taskId)
      this.emit('changed', { taskId, runId: null, status: 'finished' })
    }
  }

  /** Runs one step as an engine job and records how it ended. Returns its model, or null if it did not finish. */
  private async executeStep(
    taskId: string,
    spec: TaskSpec,
    group: PlanGroup,
    step: PlannedStep,
    runId: string,
    original: RecordedModel | null,
    auditSignal: AbortSignal,
    auditFraction: (runFraction: number) => number,
    given: GivenOriginal | null,
    tuning?: JobInputs['tuning']
  ): Promise<RecordedModel | null> {
    const outDir = join(this.paths.dataDir, 'models', runId)
    mkdirSync(outDir, { recursive: true })
    this.recorder.started(taskId, runId, original?.id ?? null)
    const cached = step.cacheKey ? this.store.modelCache.find(step.cacheKey) : null
    const existingDir = given?.use === 'measure' ? given.dir : cached ? resolve(this.paths.dataDir, cached.path) : null
    const job = engineJob({ spec, group, step, original, existingDir, given, paths: this.paths, outDir, tuning })
    const run = this.control.beginRun(runId, auditSignal)
    let result: JobResult
    try {
      result = await this.engine.run(job, {
        signal: run.signal,
        onProgress: (p) =>
          this.emit('progress', {
            taskId,
            runId,
            method: step.method,
            seed: group.seed,
            phase: p.phase,
            fraction: p.fraction,
            auditFraction: auditFraction(p.fraction),
            detail: p.detail
          })
      })
    } catch (err) {
      const engine = { backend: this.engine.info?.backend ?? null, backendSkipped: this.engine.info?.backendSkipped ?? null }
      if (err instanceof EngineJobError && err.interrupted) {
        // Not the method's fault, and likely to hit the next run too: the audit pauses, so that
        // after the cause is fixed a resume runs this run again and the ones still queued.
        this.recorder.ended(taskId, runId, 'interrupted', `${err.message}; resume the audit to run it again`, engine)
        this.pause(taskId)
        return null
      }
      const cancelled = err instanceof EngineJobError && err.cancelled
      if (cancelled && (this.control.isPausing(taskId) || this.control.isHeld(runId))) {
        this.recorder.requeued(taskId, runId)
        return null
      }
      this.recorder.ended(taskId, runId, cancelled ? 'cancelled' : 'failed', (err as Error).message, engine)
      return null
    } finally {
      run.end()
    }
    return this.recorder.completed(taskId, { runId, cellKey: group.cell.key, seed: group.seed }, result, {
      key: step.cacheKey,
      trained: job.kind !== 'evaluate'
    })
  }
}
