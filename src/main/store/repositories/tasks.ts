import type { Database } from 'better-sqlite3'
import { randomUUID } from 'node:crypto'
import type { TaskSummary } from '@shared/api/contract'
import { ResolvedTaskSpecSchema, type TaskSpec } from '@shared/task-spec'
import { describeZodError } from '@shared/zod-errors'
import { appendLog } from '../audit-log'

/** The audits (tasks): their specs, the dataset they ran on, and how many of their runs are in each status. */
export class TasksRepository {
  constructor(private readonly db: Database) {}

  /** Creates an audit and logs it with the hash of its spec and of its dataset. */
  create(t: { name: string; spec: unknown; specSha256: string; datasetId: string }): string {
    const id = randomUUID()
    this.db.transaction(() => {
      this.db
        .prepare(`INSERT INTO tasks (id, name, spec_json, spec_sha256, dataset_id, created_at) VALUES (?, ?, ?, ?, ?, ?)`)
        .run(id, t.name, JSON.stringify(t.spec), t.specSha256, t.datasetId, Date.now())
      const dataset = this.db.prepare(`SELECT sha256 FROM datasets WHERE id = ?`).get(t.datasetId) as { sha256: string } | undefined
      appendLog(this.db, 'created', id, {
        name: t.name,
        specSha256: t.specSha256,
        datasetId: t.datasetId,
        datasetSha256: dataset?.sha256 ?? null
      })
    })()
    return id
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
        `SELECT t.id, t.name, t.spec_json, t.spec_sha256, t.dataset_id, d.sha256 AS dataset_sha256, t.created_at, t.origin_json
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
      // Written when an audit's last run ends (the audits-page work fills it in).
      verdict: null,
      origin: t.origin_json ? (JSON.parse(t.origin_json) as TaskSummary['origin']) : null
    }))
  }
}

/** A stored spec, checked again: a database written by another version or by hand must not reach the services unchecked. */
function storedSpec(taskId: string, json: string): TaskSpec {
  const parsed = ResolvedTaskSpecSchema.safeParse(JSON.parse(json))
  if (!parsed.success) throw new Error(`The stored spec of audit ${taskId} does not fit this version: ${describeZodError(parsed.error)}`)
  return parsed.data
}
