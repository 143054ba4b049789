import { createHash } from 'node:crypto'
import { existsSync, mkdirSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import type { ChangedEvent, ProgressEvent } from '../../shared/api/contract'
import { canonicalJson, contentKey } from './content-key'
import { type AuditEstimate, estimateAudit } from './estimate'
import { cellJobTask, cellSpec, expandCells, originalRecipe, plannedRunCount, type SweepCell } from '../../shared/sweep'
import { checkSpecAgainstDataset, parseTaskSpec, SpecError, type TaskSpec } from '../../shared/task-spec'
import { isMethodId, METHOD_CATALOG, type MethodId, requiresMnemonicCodes } from '../../shared/methods'
import { EngineJobError } from '../engine-host/host'
import type { EnginePool } from '../engine-host/pool'
import type { JobResult } from '../engine/protocol'
import type { AuditStore } from '../store/audit-store'
import { hashDataset } from './dataset-hash'
import { type DatasetLocation, locateDataset } from '../engine/data/catalog'
import { addRetrainComparisons } from './retrain-comparison'
import { ImportError, openModelBundle } from '../library/model-bundle'
import { checkModelBundle } from '../library/model-check'
import { importModel } from '../library/model-library'
import { codesFileSha256 } from '../engine/model-folder'

export interface AuditEvents {
  progress: (e: ProgressEvent) => void
  changed: (e: ChangedEvent) => void
}

/** A given original model's folder, and whether it is measured as it is or fine-tuned with codes first. */
interface GivenOriginal {
  dir: string
  use: 'measure' | 'fine-tune'
}

interface PlannedRun {
  runId: string
  method: string
  params: Record<string, unknown>
  seed: number
  cell: SweepCell
}

// A sweep larger than this is almost certainly a typo in a list.
const MAX_RUNS = 5000

export const ORIGINAL = 'original'

/** Consecutive runs of one (cell, seed): the original first, then the methods that start from it. */
function groupByCellAndSeed(plan: PlannedRun[]): PlannedRun[][] {
  const groups: PlannedRun[][] = []
  for (const run of plan) {
    if (run.method === ORIGINAL) groups.push([run])
    else groups.at(-1)?.push(run)
  }
  return groups
}

/** Groups sharing an original, in plan order. */
function chainsByOriginal(groups: PlannedRun[][], keyOf: (group: PlannedRun[]) => string): PlannedRun[][][] {
  const chains = new Map<string, PlannedRun[][]>()
  for (const g of groups) chains.set(keyOf(g), [...(chains.get(keyOf(g)) ?? []), g])
  return [...chains.values()]
}

/** The method a planned run (other than the original) applies. */
function unlearningMethod(run: PlannedRun): { id: MethodId; params: Record<string, unknown> } {
  if (!isMethodId(run.method)) throw new Error(`Run ${run.runId} names no known method ("${run.method}")`)
  return { id: run.method, params: run.params }
}

/** Runs `work` over `items`, at most `limit` at a time, in order of start. */
async function runConcurrently<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  const worker = async () => {
    while (next < items.length) await work(items[next++]!)
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
}

/**
 * Turns a task spec into runs and executes them: per seed, the original model is trained once,
 * then every method starts from it. Every run is a row before it starts, and every ending
 * (done, failed, cancelled) is written as it happens.
 */
export class AuditService {
  private readonly active = new Map<string, AbortController>()
  /** Audits stopped by a pause rather than a cancel: their unfinished runs stay queued. */
  private readonly pausing = new Set<string>()
  private readonly runControllers = new Map<string, AbortController>()
  /** Runs paused one by one: they stay queued and this pass of the queue passes them by. */
  private readonly heldRuns = new Set<string>()
  private readonly listeners: Array<Partial<AuditEvents>> = []
  private readonly estimateHashes = new Map<string, string>()

  constructor(
    private readonly store: AuditStore,
    private readonly engine: EnginePool,
    private readonly paths: { resourcesDir: string; dataDir: string }
  ) {}

  on(listener: Partial<AuditEvents>): () => void {
    this.listeners.push(listener)
    return () => this.listeners.splice(this.listeners.indexOf(listener), 1)
  }

  /** Validates the spec and creates the task and its runs; throws SpecError naming the bad field. */
  async create(rawSpec: unknown): Promise<{ taskId: string; spec: TaskSpec; plan: PlannedRun[] }> {
    const spec = parseTaskSpec(await this.resolveModelRef(rawSpec, { importIfNew: true }))
    const location = this.datasetOf(spec)
    const info = location.info
    this.givenOriginal(spec)
    const cells = expandCells(spec)
    for (const cell of cells) checkSpecAgainstDataset(cellSpec(spec, cell), { numClasses: info.classNames.length, trainSize: info.trainSize, testSize: info.testSize })
    const total = plannedRunCount(spec)
    if (total > MAX_RUNS) throw new SpecError(`sweep: ${total} runs planned, more than the ${MAX_RUNS} one audit may hold; shorten a list`)
    const sha = await hashDataset(location)
    const canonical = canonicalJson(spec)
    const specSha256 = createHash('sha256').update(canonical).digest('hex')
    const plan: PlannedRun[] = []
    const taskId = this.store.transaction(() => {
      if (!location.imported) this.store.datasets.upsert({ id: info.id, name: info.name, source: 'builtin', sha256: sha, numClasses: info.classNames.length, inputShape: info.inputShape })
      const id = this.store.tasks.create({ name: spec.name, spec, specSha256, datasetId: info.id })
      let position = 0
      for (const cell of cells) {
        for (const seed of spec.seeds) {
          for (const m of [{ id: ORIGINAL, params: { ...spec.train } }, ...spec.methods]) {
            const runId = this.store.runs.create({ taskId: id, method: m.id, params: m.params, seed, position: position++, ...(spec.sweep ? { cell } : {}) })
            plan.push({ runId, method: m.id, params: m.params, seed, cell })
          }
        }
      }
      return id
    })
    return { taskId, spec, plan }
  }

  /**
   * A spec whose model is a `path` names it by sha256 instead, so equal models give equal specs:
   * a model already in the library is looked up by its checked files; a new one is imported
   * (when `importIfNew`), with the same checks as a drop on the window.
   */
  private async resolveModelRef(rawSpec: unknown, opts: { importIfNew: boolean }): Promise<unknown> {
    const model = (rawSpec as { model?: { path?: unknown } } | null)?.model
    if (!model || typeof model.path !== 'string') return rawSpec
    const datasetId = String((rawSpec as { dataset?: { id?: unknown } }).dataset?.id ?? '')
    let sha256: string
    try {
      sha256 = checkModelBundle(openModelBundle([model.path])).sha256
      if (!this.store.models.find(sha256)) {
        if (!opts.importIfNew) return rawSpec
        sha256 = (await importModel({ store: this.store, engine: this.engine, dataDir: this.paths.dataDir, resourcesDir: this.paths.resourcesDir }, [model.path], { datasetId })).model.sha256
      }
    } catch (err) {
      throw err instanceof ImportError ? new SpecError(`model.path: ${err.message}`) : err
    }
    return { ...(rawSpec as Record<string, unknown>), model: { sha256 } }
  }

  /** The task's dataset, built in or imported (and not deleted from the library). */
  private datasetOf(spec: TaskSpec): DatasetLocation {
    const location = locateDataset(this.paths, spec.dataset.id)
    if (!location) throw new SpecError(`dataset.id: unknown dataset "${spec.dataset.id}"; import it first, or use one of the built-in datasets`)
    return location
  }

  /**
   * Where a given original comes from, or null when the audit trains its own; checks the model
   * exists and fits. It is measured as it is, or, when the task asks for Mnemonic codes and the
   * model has none, fine-tuned with codes mixed in first.
   */
  private givenOriginal(spec: TaskSpec): GivenOriginal | null {
    if (!('sha256' in spec.model)) return null
    // A corruption is built into how the original is trained; a model trained elsewhere never saw ours.
    if (spec.task.kind === 'corrupted') throw new SpecError('task.kind: corrupted tasks train their own original on the corrupted data; with a given model, forget random samples or classes')
    const model = this.store.models.find(spec.model.sha256)
    if (!model) throw new SpecError(`model.sha256: no model ${spec.model.sha256.slice(0, 12)}… in the library; import it first`)
    if (model.datasetId !== spec.dataset.id) throw new SpecError(`model.sha256: the model was imported for ${model.datasetId}, but the task uses ${spec.dataset.id}`)
    const dir = resolve(this.paths.dataDir, model.path)
    if (!existsSync(dir)) throw new SpecError(`model.sha256: the files of model ${spec.model.sha256.slice(0, 12)}… are missing from ${dir}`)
    const hasCodes = model.codesSha256 !== null
    const needsCodes = spec.methods.find((m) => requiresMnemonicCodes(m.id))
    if (needsCodes && !hasCodes && !spec.train.mnemonicCodes) {
      throw new SpecError(
        `methods: ${METHOD_CATALOG[needsCodes.id].label} needs a model trained with mnemonic codes, and this model has none: set train.mnemonicCodes to fine-tune it with codes first (for train.epochs epochs)`
      )
    }
    return { dir, use: spec.train.mnemonicCodes && !hasCodes ? 'fine-tune' : 'measure' }
  }

  /** How many runs a spec means and how long they should take here, without creating anything. */
  async estimate(rawSpec: unknown): Promise<AuditEstimate> {
    const spec = parseTaskSpec(await this.resolveModelRef(rawSpec, { importIfNew: false }))
    const location = this.datasetOf(spec)
    const info = location.info
    // Estimates follow every edit of the form; the files are read once (the audit itself hashes them again).
    const sha = this.estimateHashes.get(info.id) ?? (await hashDataset(location))
    this.estimateHashes.set(info.id, sha)
    const trainCount = Math.min(spec.dataset.trainLimit ?? info.trainSize, info.trainSize)
    return estimateAudit(this.store, spec, sha, trainCount, this.engine.size)
  }

  /**
   * Runs what a task still owes: queued and interrupted runs, starting each from its cell's
   * original (trained again only if it never finished). Finished runs are never repeated.
   */
  resume(taskId: string): { done: Promise<void>; pending: number } {
    const task = this.store.tasks.get(taskId)
    if (!task) throw new SpecError(`No audit with id ${taskId}`)
    if (task.origin) throw new SpecError(`The audit ${taskId} was imported from a bundle: it is shown here, never run`)
    if (this.active.has(taskId)) throw new SpecError(`The audit ${taskId} is already running`)
    const spec = parseTaskSpec(task.spec)
    const cells = new Map(expandCells(spec).map((c) => [c.key, c]))
    const plan = this.store.runs.list(taskId).flatMap((r): PlannedRun[] => {
      const cell = cells.get(r.cellKey)
      return cell ? [{ runId: r.id, method: r.method, params: r.params, seed: r.seed, cell }] : []
    })
    for (const r of plan) this.heldRuns.delete(r.runId)
    const pending = this.store.runs.list(taskId).filter((r) => r.status === 'queued' || r.status === 'interrupted').length
    return { done: this.execute(taskId, spec, plan), pending }
  }

  /**
   * The most recent audit of exactly this spec that still owes runs (a sweep cut off by a crash
   * or a cancel), or null. Lets the headless command pick up where it stopped.
   */
  async findResumable(rawSpec: unknown): Promise<string | null> {
    const spec = parseTaskSpec(await this.resolveModelRef(rawSpec, { importIfNew: false }))
    const specSha256 = createHash('sha256').update(canonicalJson(spec)).digest('hex')
    const task = this.store.tasks.list().find((t) => t.specSha256 === specSha256 && !t.origin && ((t.counts.queued ?? 0) > 0 || (t.counts.interrupted ?? 0) > 0))
    return task?.id ?? null
  }

  /** Creates the task and runs it in the background; returns once the rows exist. */
  async start(rawSpec: unknown): Promise<{ taskId: string; done: Promise<void> }> {
    const created = await this.create(rawSpec)
    const done = this.execute(created.taskId, created.spec, created.plan)
    return { taskId: created.taskId, done }
  }

  cancel(taskId: string): boolean {
    const controller = this.active.get(taskId)
    if (!controller) return false
    controller.abort()
    return true
  }

  /** Stops an audit so that it can be resumed: runs in flight go back to the queue. */
  pause(taskId: string): boolean {
    const controller = this.active.get(taskId)
    if (!controller) return false
    this.pausing.add(taskId)
    controller.abort()
    return true
  }

  /** Cancels one run: a running one at its next step, a queued one at once. */
  cancelRun(runId: string): boolean {
    const controller = this.runControllers.get(runId)
    if (controller) {
      controller.abort()
      return true
    }
    if (!this.isOwed(runId)) return false
    this.store.runs.finish(runId, { status: 'cancelled', error: 'Cancelled by the user' })
    const taskId = this.store.runs.taskIdOf(runId)
    if (taskId) this.emit('changed', { taskId, runId, status: 'cancelled' })
    return true
  }

  /** Pauses one run: a running one stops and goes back to the queue, a queued one waits; a resume runs both. */
  pauseRun(runId: string): boolean {
    if (!this.runControllers.has(runId) && !this.isOwed(runId)) return false
    this.heldRuns.add(runId)
    this.runControllers.get(runId)?.abort()
    return true
  }

  isActive(taskId: string): boolean {
    return this.active.has(taskId)
  }

  private emit<K extends keyof AuditEvents>(kind: K, payload: Parameters<AuditEvents[K]>[0]): void {
    for (const l of this.listeners) (l[kind] as ((p: typeof payload) => void) | undefined)?.(payload)
  }

  private async execute(taskId: string, spec: TaskSpec, plan: PlannedRun[]): Promise<void> {
    const controller = new AbortController()
    this.active.set(taskId, controller)
    const datasetSha256 = this.store.tasks.get(taskId)?.datasetSha256 ?? ''
    try {
      // A given original (an imported model) is measured, or fine-tuned with codes once: every cell starts from it.
      const given = this.givenOriginal(spec)
      let finished = plan.filter((r) => !this.isOwed(r.runId)).length
      const progressOf = (f: number) => (finished + f) / plan.length
      const executeGroup = async (group: PlannedRun[]) => {
        const [first, ...methods] = group
        const concrete = cellSpec(spec, first!.cell)
        const recipe = originalRecipe(spec, first!.cell.task, first!.seed)
        let original = this.finishedModel(first!.runId)
        // A held original holds its whole cell: its runs cannot start without it.
        if (this.heldRuns.has(first!.runId)) return
        if (this.isOwed(first!.runId)) {
          const cacheKey = given?.use === 'measure' ? null : contentKey('original', datasetSha256, recipe)
          original = await this.executeRun(taskId, concrete, first!, null, cacheKey, controller.signal, progressOf, given)
          finished++
        }
        if (!original) {
          // A cancel or pause of the whole audit is handled below; otherwise the cell's runs cannot start.
          if (!controller.signal.aborted && !this.heldRuns.has(first!.runId)) {
            const cancelled = this.store.runs.statusOf(first!.runId) === 'cancelled'
            const which = `The original model of seed ${first!.seed}${first!.cell.key ? ` (${first!.cell.key})` : ''}`
            this.store.runs.endQueued(taskId, cancelled ? 'cancelled' : 'failed', cancelled ? `${which} was cancelled` : `${which} could not be trained`, { seed: first!.seed, cellKey: first!.cell.key })
          }
          return
        }
        // The methods of a cell only share their original: they run side by side, one per engine process.
        await runConcurrently(methods, this.engine.size, async (run) => {
          if (controller.signal.aborted) return
          if (!this.isOwed(run.runId) || this.heldRuns.has(run.runId)) return
          // Retrain is deterministic given its recipe, its task and its settings: reuse it when it exists.
          const key = run.method === 'retrain' ? contentKey('retrain', datasetSha256, { recipe, task: first!.cell.task, params: run.params }) : null
          await this.executeRun(taskId, concrete, run, original, key, controller.signal, progressOf)
          finished++
        })
      }
      // Cells that share an original run one after another, so the second finds it cached; chains
      // of different originals run in parallel, as many as the engine pool has processes.
      const chains = chainsByOriginal(groupByCellAndSeed(plan), (g) => canonicalJson(originalRecipe(spec, g[0]!.cell.task, g[0]!.seed)))
      await runConcurrently(chains, this.engine.size, async (chain) => {
        for (const group of chain) {
          if (controller.signal.aborted) return
          await executeGroup(group)
        }
      })
      if (controller.signal.aborted && !this.pausing.has(taskId)) this.store.runs.endQueued(taskId, 'cancelled', 'Cancelled by the user')
      addRetrainComparisons(this.store, taskId)
    } finally {
      this.active.delete(taskId)
      this.pausing.delete(taskId)
      this.emit('changed', { taskId, runId: null, status: 'finished' })
    }
  }

  /** Whether a run still has to be executed (queued, or cut off by a crash). */
  private isOwed(runId: string): boolean {
    const status = this.store.runs.statusOf(runId)
    return status === 'queued' || status === 'interrupted'
  }

  private finishedModel(runId: string): { id: string; dir: string } | null {
    const model = this.store.runs.outputModelOf(runId)
    return model ? { id: model.id, dir: resolve(this.paths.dataDir, model.path) } : null
  }

  /** Runs one job and records it. Returns the saved model (for an original) or null if it did not finish. */
  private async executeRun(
    taskId: string,
    spec: TaskSpec,
    run: PlannedRun,
    original: { id: string; dir: string } | null,
    cacheKey: string | null,
    signal: AbortSignal,
    auditFraction: (runFraction: number) => number,
    given: GivenOriginal | null = null
  ): Promise<{ id: string; dir: string } | null> {
    const outDir = join(this.paths.dataDir, 'models', run.runId)
    mkdirSync(outDir, { recursive: true })
    this.store.runs.markRunning(run.runId, original?.id ?? null)
    this.emit('changed', { taskId, runId: run.runId, status: 'running' })
    const base = { resourcesDir: this.paths.resourcesDir, dataDir: this.paths.dataDir, spec: cellJobTask(spec, run.cell), seed: run.seed, outDir }
    const cached = cacheKey ? this.store.modelCache.find(cacheKey) : null
    const cachedDir = given?.use === 'measure' ? given.dir : cached ? resolve(this.paths.dataDir, cached.path) : null
    const job =
      cachedDir && existsSync(cachedDir)
        ? { ...base, kind: 'evaluate' as const, modelDir: cachedDir, originalDir: original?.dir ?? null }
        : original
          ? { ...base, kind: 'unlearn' as const, method: unlearningMethod(run), originalDir: original.dir }
          : { ...base, kind: 'train-original' as const, ...(given?.use === 'fine-tune' ? { startDir: given.dir } : {}) }
    // Its own controller, so one run can be cancelled; a cancel or pause of the audit reaches it too.
    const runController = new AbortController()
    const onAuditAbort = () => runController.abort()
    signal.addEventListener('abort', onAuditAbort, { once: true })
    if (signal.aborted) runController.abort()
    this.runControllers.set(run.runId, runController)
    let result: JobResult
    try {
      result = await this.engine.run(job, {
        signal: runController.signal,
        onProgress: (p) =>
          this.emit('progress', { taskId, runId: run.runId, method: run.method, seed: run.seed, phase: p.phase, fraction: p.fraction, auditFraction: auditFraction(p.fraction), detail: p.detail })
      })
    } catch (err) {
      if (err instanceof EngineJobError && err.interrupted) {
        // Not the method's fault, and likely to hit the next run too: the audit pauses, so that
        // after the cause is fixed a resume runs this run again and the ones still queued.
        this.store.runs.finish(run.runId, { status: 'interrupted', error: `${err.message}; resume the audit to run it again`, backend: this.engine.info?.backend ?? null, backendSkipped: this.engine.info?.backendSkipped ?? null })
        this.emit('changed', { taskId, runId: run.runId, status: 'interrupted' })
        this.pause(taskId)
        return null
      }
      const cancelled = err instanceof EngineJobError && err.cancelled
      if (cancelled && (this.pausing.has(taskId) || this.heldRuns.has(run.runId))) {
        this.store.runs.requeue(run.runId)
        this.emit('changed', { taskId, runId: run.runId, status: 'queued' })
        return null
      }
      const status = cancelled ? 'cancelled' : 'failed'
      this.store.runs.finish(run.runId, { status, error: (err as Error).message, backend: this.engine.info?.backend ?? null, backendSkipped: this.engine.info?.backendSkipped ?? null })
      this.emit('changed', { taskId, runId: run.runId, status })
      return null
    } finally {
      signal.removeEventListener('abort', onAuditAbort)
      this.runControllers.delete(run.runId)
    }
    const cellKey = run.cell.key
    this.store.splits.put({ taskId, cellKey, seed: run.seed, kind: 'forget', sha256: result.split.forgetSha256, indices: result.split.forgetIndices })
    if (result.split.corruptedIndices && result.split.corruptedSha256) {
      this.store.splits.put({ taskId, cellKey, seed: run.seed, kind: 'corrupted', sha256: result.split.corruptedSha256, indices: result.split.corruptedIndices })
    }
    const recorded = {
      backend: result.backend,
      backendSkipped: result.backendSkipped,
      steps: result.steps,
      forgetCount: result.split.forgetCount,
      retainCount: result.split.retainCount,
      forgetSha256: result.split.forgetSha256,
      metrics: result.metrics
    }
    if (result.failure !== null || result.model === null) {
      // The method diverged or collapsed: failed, with what was measured, and the batch goes on.
      this.store.runs.finish(run.runId, { ...recorded, status: 'failed', error: result.failure ?? 'The run produced no model' })
      this.emit('changed', { taskId, runId: run.runId, status: 'failed' })
      return null
    }
    const modelId = this.store.models.addTrained({
      sha256: result.model.sha256,
      arch: result.model.arch,
      path: relative(this.paths.dataDir, result.model.dir),
      bytes: result.model.bytes,
      parameterCount: result.model.parameterCount,
      datasetId: result.dataset.id,
      codesSha256: codesFileSha256(result.model.dir)
    })
    if (cacheKey && job.kind !== 'evaluate') this.store.modelCache.put(cacheKey, modelId)
    this.store.runs.finish(run.runId, { ...recorded, status: 'done', outputModelId: modelId })
    this.emit('changed', { taskId, runId: run.runId, status: 'done' })
    return { id: modelId, dir: resolve(result.model.dir) }
  }
}
