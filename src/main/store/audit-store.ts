import type { Database } from 'better-sqlite3'
import { randomUUID } from 'node:crypto'
import type { DatasetSummary, ModelSummary, RunRecord, RunStatus, TaskSummary } from '../../shared/api/contract'
import { ResolvedTaskSpecSchema, type TaskSpec } from '../../shared/task-spec'
import { describeZodError } from '../../shared/zod-errors'
import { appendLog, metricsSha256 } from './audit-log'
import { openDatabase } from './database'
import { type MetricValue, readRunMetrics, writeRunMetrics } from './run-metrics'

interface RunRow {
  id: string
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

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Typed access to the experiment database. Main is its only writer. */
export class AuditStore {
  readonly db: Database

  constructor(file: string) {
    this.db = openDatabase(file)
  }

  close(): void {
    this.db.close()
  }

  /**
   * Runs left `running` by a process that no longer exists were cut off by a crash or a kill.
   * They become `interrupted`, never silently lost. Returns how many there were.
   */
  markInterruptedRuns(): number {
    const rows = this.db.prepare(`SELECT id, owner_pid FROM runs WHERE status = 'running'`).all() as Array<{ id: string; owner_pid: number | null }>
    const dead = rows.filter((r) => r.owner_pid == null || r.owner_pid === process.pid || !isAlive(r.owner_pid))
    const mark = this.db.prepare(`UPDATE runs SET status = 'interrupted', ended_at = ?, error = 'The process running it stopped before it finished' WHERE id = ?`)
    this.db.transaction(() => dead.forEach((r) => mark.run(Date.now(), r.id)))()
    return dead.length
  }

  upsertDataset(d: { id: string; name: string; source: 'builtin' | 'imported'; sha256: string; numClasses: number; inputShape: number[] }): void {
    this.db
      .prepare(
        `INSERT INTO datasets (id, name, source, sha256, num_classes, input_shape_json, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(id) DO UPDATE SET sha256 = excluded.sha256, name = excluded.name`
      )
      .run(d.id, d.name, d.source, d.sha256, d.numClasses, JSON.stringify(d.inputShape), Date.now())
  }

  createTask(t: { name: string; spec: unknown; specSha256: string; datasetId: string }): string {
    const id = randomUUID()
    this.db.transaction(() => {
      this.db
        .prepare(`INSERT INTO tasks (id, name, spec_json, spec_sha256, dataset_id, created_at) VALUES (?, ?, ?, ?, ?, ?)`)
        .run(id, t.name, JSON.stringify(t.spec), t.specSha256, t.datasetId, Date.now())
      const dataset = this.db.prepare(`SELECT sha256 FROM datasets WHERE id = ?`).get(t.datasetId) as { sha256: string } | undefined
      appendLog(this.db, 'created', id, { name: t.name, specSha256: t.specSha256, datasetId: t.datasetId, datasetSha256: dataset?.sha256 ?? null })
    })()
    return id
  }

  createRun(r: { taskId: string; method: string; params: Record<string, unknown>; seed: number; position: number; cell?: { key: string; coords: Record<string, unknown> } }): string {
    const id = randomUUID()
    this.db
      .prepare(`INSERT INTO runs (id, task_id, method, params_json, seed, status, position, created_at, cell_key, cell_json) VALUES (?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?)`)
      .run(id, r.taskId, r.method, JSON.stringify(r.params), r.seed, r.position, Date.now(), r.cell?.key ?? '', r.cell ? JSON.stringify(r.cell.coords) : null)
    return id
  }

  /** The model cached under a content key, if its files are still known. */
  cachedModel(key: string): { id: string; path: string } | null {
    const row = this.db.prepare(`SELECT m.id, m.path FROM model_cache c JOIN models m ON m.id = c.model_id WHERE c.key = ?`).get(key) as { id: string; path: string } | undefined
    return row ?? null
  }

  cacheModel(key: string, modelId: string): void {
    this.db.prepare(`INSERT OR REPLACE INTO model_cache (key, model_id, created_at) VALUES (?, ?, ?)`).run(key, modelId, Date.now())
  }

  markRunning(runId: string, inputModelId: string | null): void {
    this.db.transaction(() => {
      this.db
        .prepare(`UPDATE runs SET status = 'running', started_at = ?, owner_pid = ?, input_model_id = ? WHERE id = ?`)
        .run(Date.now(), process.pid, inputModelId, runId)
      appendLog(this.db, 'started', runId, { inputModelSha256: inputModelId })
    })()
  }


  addModel(m: { sha256: string; arch: string; path: string; bytes: number; parameterCount: number; datasetId: string; codesSha256: string | null }): string {
    this.db
      .prepare(
        `INSERT INTO models (id, sha256, arch, path, bytes, parameter_count, dataset_id, created_at, codes_sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(id) DO NOTHING`
      )
      .run(m.sha256, m.sha256, m.arch, m.path, m.bytes, m.parameterCount, m.datasetId, Date.now(), m.codesSha256)
    return m.sha256
  }

  addImportedModel(m: { sha256: string; name: string; arch: string; path: string; bytes: number; parameterCount: number; datasetId: string; inputShape: number[]; numClasses: number; testAccuracy: number | null; codesSha256: string | null }): ModelSummary {
    this.db
      .prepare(
        `INSERT INTO models (id, sha256, arch, path, bytes, parameter_count, dataset_id, created_at, source, name, input_shape_json, num_classes, test_accuracy, codes_sha256)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'imported', ?, ?, ?, ?, ?)
         ON CONFLICT(id) DO UPDATE SET deleted_at = NULL, path = excluded.path, name = excluded.name, test_accuracy = excluded.test_accuracy, created_at = excluded.created_at, codes_sha256 = excluded.codes_sha256`
      )
      .run(m.sha256, m.sha256, m.arch, m.path, m.bytes, m.parameterCount, m.datasetId, Date.now(), m.name, JSON.stringify(m.inputShape), m.numClasses, m.testAccuracy, m.codesSha256)
    appendLog(this.db, 'imported', m.sha256, { what: 'model', name: m.name, datasetId: m.datasetId, testAccuracy: m.testAccuracy })
    return this.findModel(m.sha256)!
  }

  /** A model by its sha256 (its id), with where it came from and how many runs used it. */
  findModel(sha256: string): ModelSummary | null {
    return this.listModels(sha256)[0] ?? null
  }

  /** Every model row, trained or imported, deleted or not (for verification). */
  listAllModels(): ModelSummary[] {
    return this.listModels(undefined, true)
  }

  /** The model library: imported models, or one model when `only` names it. */
  listModels(only?: string, all = false): ModelSummary[] {
    const rows = this.db
      .prepare(
        `SELECT m.*, (SELECT COUNT(*) FROM runs r WHERE r.input_model_id = m.id OR r.output_model_id = m.id) AS runs
         FROM models m WHERE ${only ? 'm.id = ?' : all ? '1' : "m.source = 'imported' AND m.deleted_at IS NULL AND m.path != ''"} ORDER BY m.created_at DESC`
      )
      .all(...(only ? [only] : [])) as Array<{ id: string; sha256: string; arch: string; path: string; bytes: number; parameter_count: number; dataset_id: string; created_at: number; source: 'trained' | 'imported'; name: string | null; input_shape_json: string | null; num_classes: number | null; test_accuracy: number | null; runs: number; deleted_at: number | null; codes_sha256: string | null }>
    return rows.map((r) => ({
      sha256: r.sha256,
      name: r.name ?? r.arch,
      source: r.source,
      arch: r.arch,
      path: r.path,
      bytes: r.bytes,
      parameterCount: r.parameter_count,
      datasetId: r.dataset_id,
      inputShape: r.input_shape_json ? (JSON.parse(r.input_shape_json) as number[]) : null,
      numClasses: r.num_classes,
      testAccuracy: r.test_accuracy,
      createdAt: r.created_at,
      runs: r.runs,
      deletedAt: r.deleted_at,
      codesSha256: r.codes_sha256
    }))
  }

  /** Stamps a model as deleted from the library; runs keep pointing at its row. */
  markModelDeleted(sha256: string): void {
    this.db.transaction(() => {
      this.db.prepare(`UPDATE models SET deleted_at = ? WHERE id = ?`).run(Date.now(), sha256)
      appendLog(this.db, 'deleted', sha256, { what: 'model' })
    })()
  }

  addImportedDataset(d: {
    id: string
    name: string
    sha256: string
    classNames: string[]
    inputShape: number[]
    trainSize: number
    testSize: number
    path: string
    bytes: number
    preprocessing: unknown
    source: unknown
    skipped: { path: string; reason: string }[]
  }): DatasetSummary {
    this.db
      .prepare(
        `INSERT INTO datasets (id, name, source, sha256, num_classes, input_shape_json, created_at, path, bytes, train_size, test_size, class_names_json, description_json, deleted_at)
         VALUES (?, ?, 'imported', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)
         ON CONFLICT(id) DO UPDATE SET deleted_at = NULL, path = excluded.path, bytes = excluded.bytes, created_at = excluded.created_at`
      )
      .run(
        d.id,
        d.name,
        d.sha256,
        d.classNames.length,
        JSON.stringify(d.inputShape),
        Date.now(),
        d.path,
        d.bytes,
        d.trainSize,
        d.testSize,
        JSON.stringify(d.classNames),
        JSON.stringify({ preprocessing: d.preprocessing, source: d.source, skipped: d.skipped })
      )
    appendLog(this.db, 'imported', d.id, { what: 'dataset', name: d.name, sha256: d.sha256, skipped: d.skipped.length })
    return this.findDataset(d.id)!
  }

  findDataset(id: string): DatasetSummary | null {
    return this.listDatasets(id)[0] ?? null
  }

  /**
   * The dataset library: imported datasets not deleted and with files here (an audit imported from
   * a bundle may know its dataset by hash only), or one dataset, whatever its state, when `only` names it.
   */
  listDatasets(only?: string): DatasetSummary[] {
    const rows = this.db
      .prepare(
        `SELECT d.*, (SELECT COUNT(*) FROM runs r JOIN tasks t ON t.id = r.task_id WHERE t.dataset_id = d.id) AS runs
         FROM datasets d WHERE ${only ? 'd.id = ?' : "d.source = 'imported' AND d.deleted_at IS NULL AND d.path IS NOT NULL"} ORDER BY d.created_at DESC`
      )
      .all(...(only ? [only] : [])) as Array<{ id: string; name: string; source: 'builtin' | 'imported'; sha256: string; num_classes: number; input_shape_json: string; created_at: number; path: string | null; bytes: number | null; train_size: number | null; test_size: number | null; class_names_json: string | null; description_json: string | null; deleted_at: number | null; runs: number }>
    return rows.map((r) => {
      const description = r.description_json ? (JSON.parse(r.description_json) as { preprocessing: Record<string, unknown>; skipped: { path: string; reason: string }[] }) : null
      return {
        id: r.id,
        name: r.name,
        source: r.source,
        sha256: r.sha256,
        classNames: r.class_names_json ? (JSON.parse(r.class_names_json) as string[]) : Array.from({ length: r.num_classes }, (_, i) => String(i)),
        inputShape: JSON.parse(r.input_shape_json) as number[],
        trainSize: r.train_size ?? 0,
        testSize: r.test_size ?? 0,
        bytes: r.bytes,
        preprocessing: description?.preprocessing ?? null,
        skipped: description?.skipped ?? [],
        createdAt: r.created_at,
        runs: r.runs,
        deletedAt: r.deleted_at
      }
    })
  }

  markDatasetDeleted(id: string): void {
    this.db.transaction(() => {
      this.db.prepare(`UPDATE datasets SET deleted_at = ? WHERE id = ?`).run(Date.now(), id)
      appendLog(this.db, 'deleted', id, { what: 'dataset' })
    })()
  }

  modelPath(modelId: string): string | null {
    const row = this.db.prepare(`SELECT path FROM models WHERE id = ?`).get(modelId) as { path: string } | undefined
    return row?.path ?? null
  }

  /** Records how a run ended, with its metrics, in one transaction. */
  finishRun(runId: string, o: RunOutcome): void {
    this.db.transaction(() => {
      this.db
        .prepare(
          `UPDATE runs SET status = ?, backend = COALESCE(?, backend), backend_skipped_json = COALESCE(?, backend_skipped_json), error = ?, steps = ?,
             forget_count = ?, retain_count = ?, forget_sha256 = ?, output_model_id = ?, ended_at = ? WHERE id = ?`
        )
        .run(o.status, o.backend ?? null, o.backendSkipped ? JSON.stringify(o.backendSkipped) : null, o.error ?? null, o.steps ?? null, o.forgetCount ?? null, o.retainCount ?? null, o.forgetSha256 ?? null, o.outputModelId ?? null, Date.now(), runId)
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

  /** A run's metrics as the metric rows hold them (the record `verify` checks). */
  runMetrics(runId: string): Record<string, MetricValue> {
    return readRunMetrics(this.db, runId)
  }

  /** Records that a report or a bundle left the app, with its hash. */
  logExport(taskId: string, file: { sha256: string; bytes: number }, what: 'report' | 'bundle' = 'report'): void {
    appendLog(this.db, 'exported', taskId, what === 'report' ? { reportSha256: file.sha256, bytes: file.bytes } : { what, sha256: file.sha256, bytes: file.bytes })
  }

  /** Stores an index list once per (task, cell, seed, kind); an identical list is kept, a different one refused. */
  putSplit(s: { taskId: string; cellKey?: string; seed: number; kind: 'forget' | 'corrupted'; sha256: string; indices: number[] }): void {
    const cellKey = s.cellKey ?? ''
    const existing = this.db.prepare(`SELECT sha256 FROM splits WHERE task_id = ? AND cell_key = ? AND seed = ? AND kind = ?`).get(s.taskId, cellKey, s.seed, s.kind) as { sha256: string } | undefined
    if (existing) {
      if (existing.sha256 !== s.sha256) throw new Error(`The ${s.kind} set of seed ${s.seed} changed between runs (${existing.sha256} vs ${s.sha256})`)
      return
    }
    const bytes = Buffer.from(Int32Array.from(s.indices).buffer)
    this.db.prepare(`INSERT INTO splits (task_id, cell_key, seed, kind, count, sha256, indices) VALUES (?, ?, ?, ?, ?, ?, ?)`).run(s.taskId, cellKey, s.seed, s.kind, s.indices.length, s.sha256, bytes)
  }

  listSplits(taskId: string): Array<{ cellKey: string; seed: number; kind: string; count: number; sha256: string; indices: Int32Array }> {
    const rows = this.db.prepare(`SELECT cell_key AS cellKey, seed, kind, count, sha256, indices FROM splits WHERE task_id = ? ORDER BY cell_key, seed, kind`).all(taskId) as Array<{ cellKey: string; seed: number; kind: string; count: number; sha256: string; indices: Buffer }>
    return rows.map((r) => ({ ...r, indices: new Int32Array(r.indices.buffer.slice(r.indices.byteOffset, r.indices.byteOffset + r.indices.byteLength)) }))
  }

  /** Ends every queued run of a task with the given status (after a cancel or a failed original). */
  endQueuedRuns(taskId: string, status: 'cancelled' | 'failed', error: string, only?: { seed: number; cellKey: string }): void {
    this.db
      .prepare(
        `UPDATE runs SET status = ?, error = ?, ended_at = ?
         WHERE task_id = ? AND status IN ('queued', 'interrupted') AND (? IS NULL OR (seed = ? AND cell_key = ?))`
      )
      .run(status, error, Date.now(), taskId, only?.seed ?? null, only?.seed ?? null, only?.cellKey ?? null)
  }

  /** Puts a run that was stopped by a pause back in the queue, as if it had never started. */
  requeueRun(runId: string): void {
    this.db.prepare(`UPDATE runs SET status = 'queued', started_at = NULL, owner_pid = NULL, input_model_id = NULL, error = NULL WHERE id = ?`).run(runId)
  }

  runTaskId(runId: string): string | null {
    const row = this.db.prepare(`SELECT task_id FROM runs WHERE id = ?`).get(runId) as { task_id: string } | undefined
    return row?.task_id ?? null
  }

  runStatus(runId: string): RunStatus | null {
    const row = this.db.prepare(`SELECT status FROM runs WHERE id = ?`).get(runId) as { status: RunStatus } | undefined
    return row?.status ?? null
  }

  /** The output model of a finished run, for runs that start from it after a resume. */
  runOutputModel(runId: string): { id: string; path: string } | null {
    const row = this.db.prepare(`SELECT m.id, m.path FROM runs r JOIN models m ON m.id = r.output_model_id WHERE r.id = ? AND r.status = 'done'`).get(runId) as { id: string; path: string } | undefined
    return row ?? null
  }

  /**
   * What finished runs cost on this machine, for estimates: per run, its method, the spec it ran
   * under (architecture, epochs), how many training samples it saw and its seconds.
   */
  speedHistory(limit = 2000): Array<{ method: string; params: Record<string, unknown>; spec: Record<string, unknown>; trainCount: number; seconds: number; reused: boolean }> {
    const rows = this.db
      .prepare(
        `SELECT r.method, r.params_json, t.spec_json, r.forget_count + r.retain_count AS train_count, s.value AS seconds, u.value AS reused
         FROM runs r JOIN tasks t ON t.id = r.task_id
         JOIN metrics s ON s.run_id = r.id AND s.name = 'seconds'
         LEFT JOIN metrics u ON u.run_id = r.id AND u.name = 'reusedModel'
         WHERE r.status = 'done' AND s.value IS NOT NULL AND r.forget_count IS NOT NULL
         ORDER BY r.ended_at DESC LIMIT ?`
      )
      .all(limit) as Array<{ method: string; params_json: string; spec_json: string; train_count: number; seconds: number; reused: number | null }>
    return rows.map((r) => ({
      method: r.method,
      params: JSON.parse(r.params_json) as Record<string, unknown>,
      spec: JSON.parse(r.spec_json) as Record<string, unknown>,
      trainCount: r.train_count,
      seconds: r.seconds,
      reused: r.reused === 1
    }))
  }

  listTasks(): TaskSummary[] {
    return this.readTasks('')
  }

  /** One audit, read alone (not picked out of every audit's summary with its run counts). */
  getTask(taskId: string): TaskSummary | null {
    return this.readTasks('WHERE t.id = ?', taskId)[0] ?? null
  }

  private readTasks(where: string, ...params: string[]): TaskSummary[] {
    const tasks = this.db
      .prepare(
        `SELECT t.id, t.name, t.spec_json, t.spec_sha256, t.dataset_id, d.sha256 AS dataset_sha256, t.created_at, t.origin_json
         FROM tasks t JOIN datasets d ON d.id = t.dataset_id ${where} ORDER BY t.created_at DESC`
      )
      .all(...params) as Array<{ id: string; name: string; spec_json: string; spec_sha256: string; dataset_id: string; dataset_sha256: string; created_at: number; origin_json: string | null }>
    const counts = this.db.prepare(`SELECT status, COUNT(*) AS n FROM runs WHERE task_id = ? GROUP BY status`)
    return tasks.map((t) => ({
      id: t.id,
      name: t.name,
      spec: storedSpec(t.id, t.spec_json),
      specSha256: t.spec_sha256,
      datasetId: t.dataset_id,
      datasetSha256: t.dataset_sha256,
      createdAt: t.created_at,
      counts: Object.fromEntries((counts.all(t.id) as Array<{ status: string; n: number }>).map((c) => [c.status, c.n])),
      // Only the audit service knows what is executing; the API fills this in.
      active: false,
      origin: t.origin_json ? (JSON.parse(t.origin_json) as TaskSummary['origin']) : null
    }))
  }

  listRuns(taskId: string): RunRecord[] {
    const rows = this.db
      .prepare(
        // Only the columns a RunRecord needs: an audit may hold 10,000 runs, and each column costs.
        `SELECT r.id, r.method, r.params_json, r.seed, r.cell_key, r.cell_json, r.status, r.backend, r.backend_skipped_json, r.error, r.steps,
           r.forget_count, r.retain_count, r.forget_sha256, mi.sha256 AS input_sha, mo.sha256 AS output_sha,
           r.created_at, r.started_at, r.ended_at, r.metrics_json
         FROM runs r LEFT JOIN models mi ON mi.id = r.input_model_id LEFT JOIN models mo ON mo.id = r.output_model_id
         WHERE r.task_id = ? ORDER BY r.position`
      )
      .all(taskId) as RunRow[]
    return rows.map((r) => ({
      id: r.id,
      taskId,
      method: r.method,
      params: JSON.parse(r.params_json) as Record<string, unknown>,
      seed: r.seed,
      cellKey: r.cell_key,
      cell: r.cell_json == null ? null : (JSON.parse(r.cell_json) as Record<string, unknown>),
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
      metrics: r.metrics_json == null ? {} : (JSON.parse(r.metrics_json) as Record<string, MetricValue>)
    }))
  }
}

/** A stored spec, checked again: a database written by another version or by hand must not reach the services unchecked. */
function storedSpec(taskId: string, json: string): TaskSpec {
  const parsed = ResolvedTaskSpecSchema.safeParse(JSON.parse(json))
  if (!parsed.success) throw new Error(`The stored spec of audit ${taskId} does not fit this version: ${describeZodError(parsed.error)}`)
  return parsed.data
}
