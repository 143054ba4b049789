import type { Database } from 'better-sqlite3'
import { randomUUID } from 'node:crypto'
import { type RunRecord, ShardRef, type TaskSummary } from '@shared/api/contract'
import { ResolvedTaskSpecSchema, type TaskSpec } from '@shared/task-spec'
import { writeVerdict } from '@shared/verdict'
import { describeZodError } from '@shared/zod-errors'
import { appendLog } from '../audit-log'

/** What deleting an audit did: nothing (no such audit, or a run still being written) or how many runs went with it. */
export type TaskDeletion = { deleted: false; reason: 'missing' | 'running' } | { deleted: true; runs: number }

/**
 * An audit's verdict from its runs as they stand: the report's sentence (src/shared/verdict.ts),
 * or null while no run has finished.
 */
export function auditVerdict(runs: RunRecord[], spec: TaskSpec): string | null {
  if (!runs.some((r) => r.status === 'done')) return null
  return writeVerdict(runs, spec.task as Record<string, unknown>)
}

/** The audits (tasks): their specs, the dataset they ran on, and how many of their runs are in each status. */
export class TasksRepository {
  constructor(private readonly db: Database) {}

  /** Creates an audit and logs it with the hash of its spec and of its dataset. */
  create(t: { name: string; spec: unknown; specSha256: string; datasetId: string; shard?: ShardRef | null }): string {
    const id = randomUUID()
    this.db.transaction(() => {
      this.db
        .prepare(`INSERT INTO tasks (id, name, spec_json, spec_sha256, dataset_id, created_at, shard_json) VALUES (?, ?, ?, ?, ?, ?, ?)`)
        .run(id, t.name, JSON.stringify(t.spec), t.specSha256, t.datasetId, Date.now(), t.shard ? JSON.stringify(t.shard) : null)
      const dataset = this.db.prepare(`SELECT sha256 FROM datasets WHERE id = ?`).get(t.datasetId) as { sha256: string } | undefined
      appendLog(this.db, 'created', id, {
        name: t.name,
        specSha256: t.specSha256,
        datasetId: t.datasetId,
        datasetSha256: dataset?.sha256 ?? null,
        ...(t.shard ? { shard: { planSha256: t.shard.planSha256, index: t.shard.index, of: t.shard.of } } : {})
      })
    })()
    return id
  }

  /** Stores the verdict an audit's runs lead to (null: nothing finished), written when its execution ends. */
  setVerdict(taskId: string, verdict: string | null): void {
    this.db.prepare(`UPDATE tasks SET verdict = ? WHERE id = ?`).run(verdict, taskId)
  }

  /**
   * Deletes an audit with its runs, their metrics and its index lists (the foreign keys cascade from
   * the task), and logs it in the same transaction: the entry names the audit, how many runs went and
   * their ids, so `verify` tells these runs from rows removed behind the app's back. Models stay in
   * the library (runs only refer to them). Refused while a run is still being written (status
   * running: this process or another one, such as the command line, is executing it).
   */
  delete(taskId: string): TaskDeletion {
    return this.db.transaction((): TaskDeletion => {
      const task = this.db.prepare(`SELECT name, origin_json FROM tasks WHERE id = ?`).get(taskId) as
        { name: string; origin_json: string | null } | undefined
      if (!task) return { deleted: false, reason: 'missing' }
      const runs = this.db.prepare(`SELECT id, status FROM runs WHERE task_id = ? ORDER BY position`).all(taskId) as Array<{
        id: string
        status: string
      }>
      if (runs.some((r) => r.status === 'running')) return { deleted: false, reason: 'running' }
      this.db.prepare(`DELETE FROM tasks WHERE id = ?`).run(taskId)
      appendLog(this.db, 'deleted', taskId, {
        what: 'audit',
        name: task.name,
        imported: task.origin_json !== null,
        runs: runs.length,
        runIds: runs.map((r) => r.id)
      })
      return { deleted: true, runs: runs.length }
    })()
  }

  /** Every audit, newest first. */
  list(): TaskSummary[] {
    return this.read('')
  }

  /** One audit, read alone (not picked out of every audit's summary with its run counts). */
  get(taskId: string): TaskSummary | null {
    return this.read('WHERE t.id = ?', taskId)[0] ?? null
  }

  private read(where: string, ...params: string[]): TaskSummary[] {
    const tasks = this.db
      .prepare(
        `SELECT t.id, t.name, t.spec_json, t.spec_sha256, t.dataset_id, d.sha256 AS dataset_sha256, t.created_at, t.origin_json, t.verdict, t.shard_json
         FROM tasks t JOIN datasets d ON d.id = t.dataset_id ${where} ORDER BY t.created_at DESC`
      )
      .all(...params) as Array<{
      id: string
      name: string
      spec_json: string
      spec_sha256: string
      dataset_id: string
      dataset_sha256: string
      created_at: number
      origin_json: string | null
      verdict: string | null
      shard_json: string | null
    }>
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
      // Written when an audit's execution ends, or when it is imported.
      verdict: t.verdict,
      origin: t.origin_json ? (JSON.parse(t.origin_json) as TaskSummary['origin']) : null,
      shard: t.shard_json ? ShardRef.parse(JSON.parse(t.shard_json)) : null
    }))
  }
}

/** A stored spec, checked again: a database written by another version or by hand must not reach the services unchecked. */
function storedSpec(taskId: string, json: string): TaskSpec {
  const parsed = ResolvedTaskSpecSchema.safeParse(JSON.parse(json))
  if (!parsed.success) throw new Error(`The stored spec of audit ${taskId} does not fit this version: ${describeZodError(parsed.error)}`)
  return parsed.data
}
