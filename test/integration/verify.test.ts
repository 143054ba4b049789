import { appendFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { exportReport } from '@main/api/handlers'
import { verifyStore } from '@main/audit/verify'
import { importDataset } from '@main/library/datasets/import-dataset'
import { runAuditExpectingDone, useAuditServices } from '../helpers/audit-services'
import { pdfText } from '../helpers/pdf'
import { withRawDatabase } from '../helpers/raw-database'
import { runAuditCli } from '../helpers/run-cli'

const services = useAuditServices('verify')
const spec = {
  name: 'verify me',
  dataset: { id: 'fashion-mnist', trainLimit: 600, testLimit: 200 },
  model: { arch: 'mlp' },
  train: { epochs: 1, batchSize: 64, learningRate: 0.05 },
  task: { kind: 'class', classes: [1] },
  methods: ['retrain', 'finetune'],
  seeds: [0]
}

describe('the audit log and verify', () => {
  it('chains every change, verifies a clean store, and names exactly the run whose metric was tampered with', async () => {
    const { taskId, runs } = await runAuditExpectingDone(services, spec)
    await exportReport({ ...services, appVersion: 'test' }, taskId, join(services.paths.dataDir, 'r.pdf'))
    const imported = await importDataset({ store: services.store, dataDir: services.paths.dataDir }, [
      join(__dirname, '..', 'fixtures', 'datasets', 'strokes')
    ])

    const kinds = services.store.auditLog.entries().map((e) => e.kind)
    expect(kinds.filter((k) => k === 'finished')).toHaveLength(3)
    expect(new Set(kinds)).toEqual(new Set(['created', 'started', 'finished', 'measured', 'exported', 'imported']))
    // Append-only: the database itself refuses to change or drop an entry.
    withRawDatabase(services.paths.dbFile, (db) => {
      expect(() => db.prepare(`UPDATE audit_log SET subject = 'x' WHERE seq = 1`).run()).toThrow(/append-only/)
      expect(() => db.prepare(`DELETE FROM audit_log`).run()).toThrow(/append-only/)
    })

    const clean = await verifyStore(services.store, services.paths)
    expect(clean.findings).toEqual([])
    expect(clean).toMatchObject({ runsChecked: 3, datasetsChecked: 1, runsBeforeLog: 0 })
    expect(clean.modelsChecked).toBeGreaterThanOrEqual(2)

    // A second auditor's check: the content hash verify prints is the one in the report's manifest.
    const ok = await runAuditCli(['verify', services.paths.dbFile])
    expect(ok.code, ok.stderr).toBe(0)
    const printed = /audit "verify me" \(.*\): content hash ([0-9a-f]{64})/.exec(ok.stdout)?.[1]
    const reportText = await pdfText(join(services.paths.dataDir, 'r.pdf'))
    expect(printed).toBeDefined()
    expect(reportText).toMatch(new RegExp(`Content hash\\s+${printed}`))

    const finetune = runs.find((r) => r.method === 'finetune')!
    withRawDatabase(services.paths.dbFile, (db) =>
      db.prepare(`UPDATE metrics SET value = value + 0.01 WHERE run_id = ? AND name = 'testAccuracy'`).run(finetune.id)
    )
    const tampered = await verifyStore(services.store, services.paths)
    expect(tampered.findings).toEqual([
      {
        subject: expect.stringContaining(`run ${finetune.id} (finetune, seed 0`),
        problem: 'its metrics differ from the ones logged when it finished'
      }
    ])

    const cli = await runAuditCli(['verify', services.paths.dbFile])
    expect(cli.code).toBe(3)
    expect(cli.stdout).toContain(`BROKEN run ${finetune.id} (finetune, seed 0, audit "verify me"): its metrics differ`)
    expect(cli.stdout.match(/BROKEN/g)).toHaveLength(1)

    // Lists, charts and reports read each run's metrics snapshot: one edited apart from its rows is found too.
    const other = runs.find((r) => r.method !== 'finetune' && r.status === 'done')!
    withRawDatabase(services.paths.dbFile, (db) =>
      db.prepare(`UPDATE runs SET metrics_json = json_set(metrics_json, '$.testAccuracy', 0.5) WHERE id = ?`).run(other.id)
    )
    expect(services.store.runs.list(taskId).find((r) => r.id === other.id)!.metrics.testAccuracy).toBe(0.5)
    const snapshot = await verifyStore(services.store, services.paths)
    expect(snapshot.findings).toContainEqual({
      subject: expect.stringContaining(`run ${other.id} (${other.method}`),
      problem: 'the metrics the app lists for it differ from its stored metric rows'
    })
    expect(snapshot.findings).toHaveLength(2)

    // Files changed behind the store's back are found too.
    appendFileSync(join(services.paths.dataDir, 'datasets', imported.dataset.id, 'train-labels.idx'), Uint8Array.of(0))
    const files = await verifyStore(services.store, services.paths)
    expect(files.findings.map((f) => f.subject)).toContain(`dataset ${imported.dataset.id}`)
  }, 120_000)

  it('finds an entry rewritten by someone who dropped the trigger', async () => {
    withRawDatabase(services.paths.dbFile, (db) => {
      db.exec('DROP TRIGGER audit_log_no_update')
      db.prepare(`UPDATE audit_log SET payload_json = '{"name":"someone else"}' WHERE seq = 1`).run()
    })
    const v = await verifyStore(services.store, services.paths)
    expect(v.findings).toContainEqual({ subject: 'log #1', problem: 'its content no longer matches its hash' })
  })
})
