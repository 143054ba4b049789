import { createHash } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import type { ChangedEvent, ProgressEvent } from '../../shared/api/contract'
import { findBuiltinDataset } from '../../shared/datasets'
import { checkSpecAgainstDataset, parseTaskSpec, SpecError, type TaskSpec } from '../../shared/task-spec'
import { EngineJobError, type EngineHost } from '../engine-host/host'
import type { JobResult } from '../engine/protocol'
import type { AuditStore } from '../store/audit-store'
import { hashBuiltinDataset } from './dataset-hash'
import { addRetrainComparisons } from './retrain-comparison'

export interface AuditEvents {
  progress: (e: ProgressEvent) => void
  changed: (e: ChangedEvent) => void
}

interface PlannedRun {
  runId: string
  method: string
  params: Record<string, unknown>
  seed: number
}

export const ORIGINAL = 'original'

/** Stable JSON (sorted keys), so equal specs hash equally. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1))
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`
  }
  return JSON.stringify(value)
}

/**
 * Turns a task spec into runs and executes them: per seed, the original model is trained once,
 * then every method starts from it. Every run is a row before it starts, and every ending
 * (done, failed, cancelled) is written as it happens.
 */
export class AuditService {
  private readonly active = new Map<string, AbortController>()
  private readonly listeners: Array<Partial<AuditEvents>> = []

  constructor(
    private readonly store: AuditStore,
    private readonly engine: EngineHost,
    private readonly paths: { resourcesDir: string; dataDir: string }
  ) {}

  on(listener: Partial<AuditEvents>): () => void {
    this.listeners.push(listener)
    return () => this.listeners.splice(this.listeners.indexOf(listener), 1)
  }

  /** Validates the spec and creates the task and its runs; throws SpecError naming the bad field. */
  async create(rawSpec: unknown): Promise<{ taskId: string; spec: TaskSpec; plan: PlannedRun[] }> {
    const spec = parseTaskSpec(rawSpec)
    const info = findBuiltinDataset(spec.dataset.id)
    if (!info) throw new SpecError(`dataset.id: unknown dataset "${spec.dataset.id}"`)
    checkSpecAgainstDataset(spec, { numClasses: info.classNames.length, trainSize: info.trainSize, testSize: info.testSize })
    const sha = await hashBuiltinDataset(this.paths.resourcesDir, info.id)
    const canonical = canonicalJson(spec)
    const specSha256 = createHash('sha256').update(canonical).digest('hex')
    const plan: PlannedRun[] = []
    const taskId = this.store.db.transaction(() => {
      this.store.upsertDataset({ id: info.id, name: info.name, source: 'builtin', sha256: sha, numClasses: info.classNames.length, inputShape: info.inputShape })
      const id = this.store.createTask({ name: spec.name, spec, specSha256, datasetId: info.id })
      let position = 0
      for (const seed of spec.seeds) {
        for (const m of [{ id: ORIGINAL, params: { ...spec.train } }, ...spec.methods]) {
          const runId = this.store.createRun({ taskId: id, method: m.id, params: m.params, seed, position: position++ })
          plan.push({ runId, method: m.id, params: m.params, seed })
        }
      }
      return id
    })()
    return { taskId, spec, plan }
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

  isActive(taskId: string): boolean {
    return this.active.has(taskId)
  }

  private emit<K extends keyof AuditEvents>(kind: K, payload: Parameters<AuditEvents[K]>[0]): void {
    for (const l of this.listeners) (l[kind] as ((p: typeof payload) => void) | undefined)?.(payload)
  }

  private async execute(taskId: string, spec: TaskSpec, plan: PlannedRun[]): Promise<void> {
    const controller = new AbortController()
    this.active.set(taskId, controller)
    try {
      let finished = 0
      let originalModel: { id: string; dir: string } | null = null
      for (const run of plan) {
        if (controller.signal.aborted) break
        if (run.method === ORIGINAL) originalModel = null
        else if (!originalModel) continue // the seed's original failed; its runs were ended with it
        const outcome = await this.executeRun(taskId, spec, run, originalModel, controller.signal, (f) => (finished + f) / plan.length)
        finished++
        if (run.method === ORIGINAL) {
          if (outcome) originalModel = outcome
          // A cancelled original is not a failure of its seed: the cancel below ends those runs.
          else if (!controller.signal.aborted) this.store.endQueuedRuns(taskId, 'failed', `The original model of seed ${run.seed} could not be trained`, run.seed)
        }
      }
      if (controller.signal.aborted) this.store.endQueuedRuns(taskId, 'cancelled', 'Cancelled by the user')
      addRetrainComparisons(this.store, taskId)
    } finally {
      this.active.delete(taskId)
      this.emit('changed', { taskId, runId: null, status: 'finished' })
    }
  }

  /** Runs one job and records it. Returns the saved model (for an original) or null if it did not finish. */
  private async executeRun(
    taskId: string,
    spec: TaskSpec,
    run: PlannedRun,
    original: { id: string; dir: string } | null,
    signal: AbortSignal,
    auditFraction: (runFraction: number) => number
  ): Promise<{ id: string; dir: string } | null> {
    const outDir = join(this.paths.dataDir, 'models', run.runId)
    mkdirSync(outDir, { recursive: true })
    this.store.markRunning(run.runId, original?.id ?? null)
    this.emit('changed', { taskId, runId: run.runId, status: 'running' })
    const base = { resourcesDir: this.paths.resourcesDir, spec: spec as unknown as Record<string, unknown>, seed: run.seed, outDir }
    const job = original
      ? { ...base, kind: 'unlearn' as const, method: { id: run.method, params: run.params }, originalDir: original.dir }
      : { ...base, kind: 'train-original' as const }
    let result: JobResult
    try {
      result = await this.engine.run(job, {
        signal,
        onProgress: (p) =>
          this.emit('progress', { taskId, runId: run.runId, method: run.method, seed: run.seed, phase: p.phase, fraction: p.fraction, auditFraction: auditFraction(p.fraction), detail: p.detail })
      })
    } catch (err) {
      const cancelled = err instanceof EngineJobError && err.cancelled
      const status = cancelled ? 'cancelled' : 'failed'
      this.store.finishRun(run.runId, { status, error: (err as Error).message, backend: this.engine.info?.backend ?? null })
      this.emit('changed', { taskId, runId: run.runId, status })
      return null
    }
    this.store.putSplit({ taskId, seed: run.seed, kind: 'forget', sha256: result.split.forgetSha256, indices: result.split.forgetIndices })
    if (result.split.corruptedIndices && result.split.corruptedSha256) {
      this.store.putSplit({ taskId, seed: run.seed, kind: 'corrupted', sha256: result.split.corruptedSha256, indices: result.split.corruptedIndices })
    }
    const recorded = {
      backend: result.backend,
      steps: result.steps,
      forgetCount: result.split.forgetCount,
      retainCount: result.split.retainCount,
      forgetSha256: result.split.forgetSha256,
      metrics: result.metrics
    }
    if (result.failure !== null || result.model === null) {
      // The method diverged or collapsed: failed, with what was measured, and the batch goes on.
      this.store.finishRun(run.runId, { ...recorded, status: 'failed', error: result.failure ?? 'The run produced no model' })
      this.emit('changed', { taskId, runId: run.runId, status: 'failed' })
      return null
    }
    const modelId = this.store.addModel({
      sha256: result.model.sha256,
      arch: result.model.arch,
      path: relative(this.paths.dataDir, result.model.dir),
      bytes: result.model.bytes,
      parameterCount: result.model.parameterCount,
      datasetId: result.dataset.id
    })
    this.store.finishRun(run.runId, { ...recorded, status: 'done', outputModelId: modelId })
    this.emit('changed', { taskId, runId: run.runId, status: 'done' })
    return { id: modelId, dir: resolve(result.model.dir) }
  }
}
