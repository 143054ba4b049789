import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { TaskSummary } from '@shared/api/contract'
import { createApiHandlers } from '@main/api/handlers'
import { createRouter } from '@main/api/router'
import { exportBundle } from '@main/audit/bundle/export-bundle'
import { importBundle } from '@main/audit/bundle/import-bundle'
import { verifyStore } from '@main/audit/verify'
import { runAuditExpectingDone, useAuditServices } from '../helpers/audit-services'
import { withRawDatabase } from '../helpers/raw-database'

const services = useAuditServices('audit-delete')
const dispatch = createRouter(createApiHandlers({ ...services, appVersion: 'test' }))
const call = async (channel: string, input: unknown) => dispatch(channel, input)
const value = async <T>(channel: string, input: unknown): Promise<T> => {
  const e = await call(channel, input)
  if (!e.ok) throw new Error(`${channel}: ${e.error.code} ${e.error.message}`)
  return e.value as T
}

/** A tiny audit: seconds on any backend. */
const spec = (name: string) => ({
  name,
  dataset: { id: 'fashion-mnist', trainLimit: 300, testLimit: 100 },
  model: { arch: 'mlp' },
  train: { epochs: 1, batchSize: 64, learningRate: 0.05 },
  task: { kind: 'class', classes: [1] },
  methods: ['retrain', 'finetune'],
  seeds: [0]
})

/** How many rows each table holds for one audit, read behind the store's back. */
function rowsOf(taskId: string, runIds: string[]) {
  return withRawDatabase(services.paths.dbFile, (db) => {
    const count = (sql: string, ...params: unknown[]) => (db.prepare(sql).get(...params) as { n: number }).n
    const inRuns = `(${runIds.map(() => '?').join(',')})`
    return {
      tasks: count(`SELECT COUNT(*) AS n FROM tasks WHERE id = ?`, taskId),
      runs: count(`SELECT COUNT(*) AS n FROM runs WHERE task_id = ?`, taskId),
      metrics: count(`SELECT COUNT(*) AS n FROM metrics WHERE run_id IN ${inRuns}`, ...runIds),
      splits: count(`SELECT COUNT(*) AS n FROM splits WHERE task_id = ?`, taskId)
    }
  })
}

describe('deleting an audit through the API', () => {
  it('stores the verdict when an audit ends, and deletes a finished audit: rows gone, models kept, logged, verify clean', async () => {
    const kept = await runAuditExpectingDone(services, spec('kept'))
    const { taskId, runs } = await runAuditExpectingDone(services, spec('to delete'))
    const listed = await value<TaskSummary[]>('audits:list', {})
    const summary = listed.find((t) => t.id === taskId)!
    expect(summary.verdict).toMatch(/forget set|forgotten class/)
    expect(listed.find((t) => t.id === kept.taskId)!.verdict).toEqual(expect.any(String))

    const runIds = runs.map((r) => r.id)
    const before = rowsOf(taskId, runIds)
    expect(before).toMatchObject({ tasks: 1, runs: 3 })
    expect(before.metrics).toBeGreaterThan(0)
    expect(before.splits).toBeGreaterThan(0)
    const models = runs.map((r) => r.outputModelSha256).filter((m): m is string => m !== null)
    expect(models.length).toBeGreaterThan(0)

    expect(await value('audits:delete', { taskId })).toEqual({ deleted: true })
    expect(rowsOf(taskId, runIds)).toEqual({ tasks: 0, runs: 0, metrics: 0, splits: 0 })
    expect((await value<TaskSummary[]>('audits:list', {})).map((t) => t.id)).toEqual([kept.taskId])
    expect(await call('audits:runs', { taskId })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } })
    // The models its runs trained stay in the library, files and all.
    const library = services.store.models.listAll()
    for (const sha of models) {
      const model = library.find((m) => m.sha256 === sha)
      expect(model, sha).toBeDefined()
      expect(model!.deletedAt).toBeNull()
      expect(existsSync(join(services.paths.dataDir, model!.path))).toBe(true)
    }
    // The other audit is untouched.
    expect(services.store.runs.list(kept.taskId).map((r) => r.status)).toEqual(['done', 'done', 'done'])

    const last = services.store.auditLog.entries().at(-1)!
    expect(last).toMatchObject({
      kind: 'deleted',
      subject: taskId,
      payload: { what: 'audit', name: 'to delete', runs: 3, runIds, imported: false }
    })
    const verified = await verifyStore(services.store, services.paths)
    expect(verified.findings).toEqual([])
    expect(verified).toMatchObject({ runsChecked: 3, runsDeleted: 3, runsBeforeLog: 0 })
    expect(verified.audits.map((a) => a.id)).toEqual([kept.taskId])

    // Deleting it again, or an id that never was, finds nothing.
    expect(await call('audits:delete', { taskId })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } })
    expect(await call('audits:delete', { taskId: 'no-such-audit' })).toMatchObject({
      ok: false,
      error: { code: 'NOT_FOUND', message: expect.stringContaining('no-such-audit') }
    })

    // Rows removed behind the app's back, with no logged deletion, are still a finding.
    const victim = kept.runs.find((r) => r.method === 'finetune')!
    withRawDatabase(services.paths.dbFile, (db) => {
      db.pragma('foreign_keys = ON')
      db.prepare(`DELETE FROM runs WHERE id = ?`).run(victim.id)
    })
    const tampered = await verifyStore(services.store, services.paths)
    expect(tampered.findings).toEqual([
      { subject: `run ${victim.id}`, problem: expect.stringContaining('no deletion of its audit was logged') }
    ])
  }, 180_000)

  it('refuses to delete a running audit, and deletes it once cancelled', async () => {
    const { taskId, done } = await services.audits.start(spec('running'))
    const refused = await call('audits:delete', { taskId })
    expect(refused).toMatchObject({ ok: false, error: { code: 'CONFLICT', message: expect.stringMatching(/cancel or pause it first/) } })
    expect(services.store.tasks.get(taskId)).not.toBeNull()
    expect(await value('audits:cancel', { taskId })).toEqual({ cancelled: true })
    await done
    expect(await value('audits:delete', { taskId })).toEqual({ deleted: true })
    expect(services.store.tasks.get(taskId)).toBeNull()
  }, 180_000)

  it('refuses an audit with a run still being written by another process', async () => {
    const { taskId } = await runAuditExpectingDone(services, spec('written elsewhere'))
    const runId = services.store.runs.list(taskId)[0]!.id
    // As the command line's process would leave it while it executes the run.
    withRawDatabase(services.paths.dbFile, (db) => db.prepare(`UPDATE runs SET status = 'running' WHERE id = ?`).run(runId))
    expect(await call('audits:delete', { taskId })).toMatchObject({ ok: false, error: { code: 'CONFLICT' } })
    withRawDatabase(services.paths.dbFile, (db) => db.prepare(`UPDATE runs SET status = 'done' WHERE id = ?`).run(runId))
    expect(await value('audits:delete', { taskId })).toEqual({ deleted: true })
  }, 180_000)

  it('imports a deleted audit back from its bundle, with its verdict, and verify stays clean', async () => {
    const { taskId } = await runAuditExpectingDone(services, spec('round trip'))
    const verdict = services.store.tasks.get(taskId)!.verdict
    expect(verdict).toEqual(expect.any(String))
    const file = join(services.paths.dataDir, 'round-trip.zip')
    await exportBundle({ ...services, appVersion: 'test' }, taskId, { file, includeModels: false })
    expect(await value('audits:delete', { taskId })).toEqual({ deleted: true })
    const imported = await importBundle({ store: services.store, ...services.paths }, file)
    expect(imported).toMatchObject({ alreadyImported: false, task: { id: taskId, verdict } })
    expect(imported.task.origin).not.toBeNull()
    const verified = await verifyStore(services.store, services.paths)
    // Only the run removed by hand in the first test remains a finding.
    expect(verified.findings.map((f) => f.subject)).toHaveLength(1)
    expect(verified.findings[0]!.subject).not.toContain(taskId)
    // An imported audit is deleted like any other; the log says it was imported.
    expect(await value('audits:delete', { taskId })).toEqual({ deleted: true })
    expect(services.store.auditLog.entries().at(-1)!.payload).toMatchObject({ what: 'audit', imported: true, runs: 3 })
  }, 180_000)
})
