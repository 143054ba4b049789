import type { Database } from 'better-sqlite3'
import { randomUUID } from 'node:crypto'
import type { RunRecord, RunStatus } from '@shared/api/contract'
import { appendLog, metricsSha256 } from '../audit-log'
import { type MetricValue, readRunMetrics, writeRunMetrics } from '../run-metrics'

interface RunRow {
  id: string
  task_id: string
  method: string
  params_json: string
  seed: number
  status: RunStatus
  backend: string | null
  backend_skipped_json: string | null
  error: string | null
  steps: number | null
  forget_count: number | null
  retain_count: number | null
  forget_sha256: string | null
  input_sha: string | null
  output_sha: string | null
  created_at: number
  started_at: number | null
  ended_at: number | null
  cell_key: string
  cell_json: string | null
  replica: number | null
  metrics_json: string | null
}

export interface RunOutcome {
  status: Extract<RunStatus, 'done' | 'failed' | 'cancelled' | 'interrupted'>
  backend?: string | null
  /** Why the engine skipped the faster backends, one line each. */
  backendSkipped?: string[] | null
  error?: string | null
  steps?: number | null
  forgetCount?: number | null
  retainCount?: number | null
  forgetSha256?: string | null
  outputModelId?: string | null
  metrics?: Record<string, MetricValue>
}

export interface NewRun {
  taskId: string
  method: string
  params: Record<string, unknown>
  seed: number
  position: number
  cell?: { key: string; coords: Record<string, unknown> }
  /** A model of the privacy evidence: reference model k, or extra retrain r (RunRecord.replica). */
  replica?: number | null
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** The runs of every audit: their life cycle from queued to ended, their metrics, and reading them back. */
export class RunsRepository {
  constructor(private readonly db: Database) {}

  create(r: NewRun): string {
    const id = randomUUID()
    this.db
      .prepare(
        `INSERT INTO runs (id, task_id, method, params_json, seed, status, position, created_at, cell_key, cell_json, replica) VALUES (?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?)`
      )
      .run(
        id,
        r.taskId,
        r.method,
        JSON.stringify(r.params),
        r.seed,
        r.position,
        Date.now(),
        r.cell?.key ?? '',
        r.cell ? JSON.stringify(r.cell.coords) : null,
        r.replica ?? null
      )
    return id
  }

  /** Claims a run for this process (its pid lets a later start tell a crash from a live run). */
  markRunning(runId: string, inputModelId: string | null): void {
    this.db.transaction(() => {
      this.db
        .prepare(`UPDATE runs SET status = 'running', started_at = ?, owner_pid = ?, input_model_id = ? WHERE id = ?`)
        .run(Date.now(), process.pid, inputModelId, runId)
      appendLog(this.db, 'started', runId, { inputModelSha256: inputModelId })
    })()
  }

  /** Records how a run ended, with its metrics, in one transaction. */
  finish(runId: string, o: RunOutcome): void {
    this.db.transaction(() => {
      this.db
        .prepare(
          `UPDATE runs SET status = ?, backend = COALESCE(?, backend), backend_skipped_json = COALESCE(?, backend_skipped_json), error = ?, steps = ?,
             forget_count = ?, retain_count = ?, forget_sha256 = ?, output_model_id = ?, ended_at = ? WHERE id = ?`
        )
        .run(
          o.status,
          o.backend ?? null,
          o.backendSkipped ? JSON.stringify(o.backendSkipped) : null,
          o.error ?? null,
          o.steps ?? null,
          o.forgetCount ?? null,
          o.retainCount ?? null,
          o.forgetSha256 ?? null,
          o.outputModelId ?? null,
          Date.now(),
          runId
        )
      // An ending carries the run's whole measurement: a retried run keeps nothing of its earlier attempt.
      this.db.prepare(`DELETE FROM metrics WHERE run_id = ?`).run(runId)
      const metrics = writeRunMetrics(this.db, runId, o.metrics ?? {})
      appendLog(this.db, 'finished', runId, {
        status: o.status,
        error: o.error ?? null,
        outputModelSha256: o.outputModelId ?? null,
        forgetSha256: o.forgetSha256 ?? null,
        metricsSha256: metricsSha256(metrics)
      })
    })()
  }

  /** Adds or replaces metrics of a finished run (comparisons measured later), logged with the new hash. */
  putMetrics(runId: string, metrics: Record<string, MetricValue>): void {
    this.db.transaction(() => {
      const all = writeRunMetrics(this.db, runId, metrics)
      appendLog(this.db, 'measured', runId, { names: Object.keys(metrics).sort(), metricsSha256: metricsSha256(all) })
    })()
  }

  /** A run's metrics as the metric rows hold them (the record `verify` checks), not the listing's snapshot. */
  metrics(runId: string): Record<string, MetricValue> {
    return readRunMetrics(this.db, runId)
  }

  /** Ends every queued run of a task with the given status (after a cancel or a failed original). */
  endQueued(taskId: string, status: 'cancelled' | 'failed', error: string, only?: { seed: number; cellKey: string }): void {
    this.db
      .prepare(
        `UPDATE runs SET status = ?, error = ?, ended_at = ?
         WHERE task_id = ? AND status IN ('queued', 'interrupted') AND (? IS NULL OR (seed = ? AND cell_key = ?))`
      )
      .run(status, error, Date.now(), taskId, only?.seed ?? null, only?.seed ?? null, only?.cellKey ?? null)
  }

  /** Puts a run that was stopped by a pause back in the queue, as if it had never started. */
  requeue(runId: string): void {
    this.db
      .prepare(`UPDATE runs SET status = 'queued', started_at = NULL, owner_pid = NULL, input_model_id = NULL, error = NULL WHERE id = ?`)
      .run(runId)
  }

  /**
   * Puts an audit's failed and cancelled runs back in the queue, to be run again by a resume. Their
   * earlier endings stay in the audit log; their metrics stay until the new attempt ends. Returns how many.
   */
  requeueEnded(taskId: string): number {
    return this.db
      .prepare(
        `UPDATE runs SET status = 'queued', started_at = NULL, ended_at = NULL, owner_pid = NULL, input_model_id = NULL, error = NULL
         WHERE task_id = ? AND status IN ('failed', 'cancelled')`
      )
      .run(taskId).changes
  }

  /**
   * Crash recovery, at start: runs left `running` by a process that no longer exists were cut off
   * by a crash or a kill. They become `interrupted`, never silently lost. Returns how many there were.
   */
  markInterrupted(): number {
    const rows = this.db.prepare(`SELECT id, owner_pid FROM runs WHERE status = 'running'`).all() as Array<{
      id: string
      owner_pid: number | null
    }>
    const dead = rows.filter((r) => r.owner_pid == null || r.owner_pid === process.pid || !isAlive(r.owner_pid))
    const mark = this.db.prepare(
      `UPDATE runs SET status = 'interrupted', ended_at = ?, error = 'The process running it stopped before it finished' WHERE id = ?`
    )
    this.db.transaction(() => dead.forEach((r) => mark.run(Date.now(), r.id)))()
    return dead.length
  }

  taskIdOf(runId: string): string | null {
    const row = this.db.prepare(`SELECT task_id FROM runs WHERE id = ?`).get(runId) as { task_id: string } | undefined
    return row?.task_id ?? null
  }

  statusOf(runId: string): RunStatus | null {
    const row = this.db.prepare(`SELECT status FROM runs WHERE id = ?`).get(runId) as { status: RunStatus } | undefined
    return row?.status ?? null
  }

  /** The output model of a finished run, for runs that start from it after a resume. */
  outputModelOf(runId: string): { id: string; path: string } | null {
    const row = this.db
      .prepare(`SELECT m.id, m.path FROM runs r JOIN models m ON m.id = r.output_model_id WHERE r.id = ? AND r.status = 'done'`)
      .get(runId) as { id: string; path: string } | undefined
    return row ?? null
  }

  /** The runs of one audit in planned order; or only those of one cell and seed. */
  list(taskId: string, only?: { cellKey: string; seed: number }): RunRecord[] {
    return this.read(
      `r.task_id = ?${only ? ' AND r.cell_key = ? AND r.seed = ?' : ''}`,
      only ? [taskId, only.cellKey, only.seed] : [taskId]
    )
  }

  /** One run, read alone. */
  get(runId: string): RunRecord | null {
    return this.read('r.id = ?', [runId])[0] ?? null
  }

  private read(where: string, params: Array<string | number>): RunRecord[] {
    const rows = this.db
      .prepare(
        // Only the columns a RunRecord needs: an audit may hold 10,000 runs, and each column costs.
        `SELECT r.id, r.task_id, r.method, r.params_json, r.seed, r.cell_key, r.cell_json, r.replica, r.status, r.backend, r.backend_skipped_json, r.error, r.steps,
           r.forget_count, r.retain_count, r.forget_sha256, mi.sha256 AS input_sha, mo.sha256 AS output_sha,
           r.created_at, r.started_at, r.ended_at, r.metrics_json
         FROM runs r LEFT JOIN models mi ON mi.id = r.input_model_id LEFT JOIN models mo ON mo.id = r.output_model_id
         WHERE ${where} ORDER BY r.position`
      )
      .all(...params) as RunRow[]
    return rows.map((r) => ({
      id: r.id,
      taskId: r.task_id,
      method: r.method,
      params: JSON.parse(r.params_json) as Record<string, unknown>,
      seed: r.seed,
      cellKey: r.cell_key,
      cell: r.cell_json == null ? null : (JSON.parse(r.cell_json) as Record<string, unknown>),
      replica: r.replica,
      status: r.status,
      backend: r.backend,
      backendSkipped: r.backend_skipped_json == null ? [] : (JSON.parse(r.backend_skipped_json) as string[]),
      error: r.error,
      steps: r.steps,
      forgetCount: r.forget_count,
      retainCount: r.retain_count,
      forgetSha256: r.forget_sha256,
      inputModelSha256: r.input_sha,
      outputModelSha256: r.output_sha,
      createdAt: r.created_at,
      startedAt: r.started_at,
      endedAt: r.ended_at,
      // The snapshot `writeRunMetrics` keeps; reading 10,000 runs' metric rows is too slow for the UI.
      metrics: r.metrics_json == null ? {} : (JSON.parse(r.metrics_json) as Record<string, MetricValue>)
    }))
  }
}
