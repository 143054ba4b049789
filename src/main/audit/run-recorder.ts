import { relative, resolve } from 'node:path'
import type { AuditChange, RunStatus } from '@shared/api/contract'
import { codesFileSha256 } from '../engine/model-folder'
import type { JobResult } from '../engine/protocol'
import type { AuditStore } from '../store/audit-store'
import { compareWithRetrain } from './retrain-comparison'

/** Which engine a run ended on, when the run itself could not say (it failed before reporting). */
export interface EngineFacts {
  backend: string | null
  backendSkipped: string[] | null
}

/** A finished run's model, for the runs that start from it. */
export interface RecordedModel {
  id: string
  dir: string
}

/**
 * Writes every ending of a run to the store and announces it: one place where a run's row, its
 * splits, its model, the model cache and its comparison with retrain are kept consistent.
 */
export class RunRecorder {
  constructor(
    private readonly store: AuditStore,
    private readonly dataDir: string,
    private readonly announce: (e: AuditChange) => void
  ) {}

  started(taskId: string, runId: string, inputModelId: string | null): void {
    this.store.runs.markRunning(runId, inputModelId)
    this.announce({ taskId, runId, status: 'running' })
  }

  /** A run stopped by a pause goes back to the queue. */
  requeued(taskId: string, runId: string): void {
    this.store.runs.requeue(runId)
    this.announce({ taskId, runId, status: 'queued' })
  }

  /** A run that ended without a result: failed, cancelled, or interrupted by its surroundings. */
  ended(
    taskId: string,
    runId: string,
    status: Extract<RunStatus, 'failed' | 'cancelled' | 'interrupted'>,
    error: string,
    engine: EngineFacts | null = null
  ): void {
    this.store.runs.finish(runId, { status, error, ...(engine ?? {}) })
    this.announce({ taskId, runId, status })
  }

  /** Ends the queued runs of an audit (or of one cell and seed) that can no longer start. */
  endedQueued(taskId: string, status: 'cancelled' | 'failed', error: string, only?: { seed: number; cellKey: string }): void {
    this.store.runs.endQueued(taskId, status, error, only)
  }

  /**
   * Records what the engine reported: the splits, then either a failure with what was measured
   * (the method diverged or collapsed) or the model, cached under `cacheKey` when it was trained
   * (not merely measured). Returns the model, or null when the run failed.
   */
  completed(
    taskId: string,
    run: { runId: string; cellKey: string; seed: number },
    result: JobResult,
    cache: { key: string | null; trained: boolean }
  ): RecordedModel | null {
    const { split } = result
    this.store.splits.put({
      taskId,
      cellKey: run.cellKey,
      seed: run.seed,
      kind: 'forget',
      sha256: split.forgetSha256,
      indices: split.forgetIndices
    })
    if (split.corruptedIndices && split.corruptedSha256) {
      this.store.splits.put({
        taskId,
        cellKey: run.cellKey,
        seed: run.seed,
        kind: 'corrupted',
        sha256: split.corruptedSha256,
        indices: split.corruptedIndices
      })
    }
    // Every trial is kept, whether or not the run that used the kept one finished.
    if (result.tuning) this.store.tuningTrials.put(run.runId, result.tuning)
    const recorded = {
      backend: result.backend,
      backendSkipped: result.backendSkipped,
      steps: result.steps,
      forgetCount: split.forgetCount,
      retainCount: split.retainCount,
      forgetSha256: split.forgetSha256,
      metrics: result.metrics
    }
    if (result.failure !== null || result.model === null) {
      this.store.runs.finish(run.runId, { ...recorded, status: 'failed', error: result.failure ?? 'The run produced no model' })
      this.announce({ taskId, runId: run.runId, status: 'failed' })
      return null
    }
    const modelId = this.store.models.addTrained({
      sha256: result.model.sha256,
      arch: result.model.arch,
      path: relative(this.dataDir, result.model.dir),
      bytes: result.model.bytes,
      parameterCount: result.model.parameterCount,
      datasetId: result.dataset.id,
      codesSha256: codesFileSha256(result.model.dir)
    })
    if (cache.key && cache.trained) this.store.modelCache.put(cache.key, modelId)
    this.store.runs.finish(run.runId, { ...recorded, status: 'done', outputModelId: modelId })
    const finished = this.store.runs.get(run.runId)
    // The other runs this compares (when the retrain of their cell has just finished) are not
    // announced one by one: their status did not change, and readers fetch them at the audit's end.
    if (finished) compareWithRetrain(this.store, finished)
    this.announce({ taskId, runId: run.runId, status: 'done' })
    return { id: modelId, dir: resolve(result.model.dir) }
  }

  /** Whether a run still has to be executed (queued, or cut off by a crash). */
  isOwed(runId: string): boolean {
    const status = this.store.runs.statusOf(runId)
    return status === 'queued' || status === 'interrupted'
  }

  /** The model a finished run produced, for the runs that start from it after a resume. */
  finishedModel(runId: string): RecordedModel | null {
    const model = this.store.runs.outputModelOf(runId)
    return model ? { id: model.id, dir: resolve(this.dataDir, model.path) } : null
  }
}
