import { existsSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import { verifyStore } from '@main/audit/verify'
import { createNodeServices } from '@main/cli/node-services'
import { AuditStore } from '@main/store/audit-store'
import { runAuditCli } from '../helpers/run-cli'
import { makeTempDir } from '../helpers/tmp'

const tmp = makeTempDir('crash')
afterAll(tmp.cleanup)

const FAULTS = join(__dirname, '..', 'helpers', 'fault-injection.cjs')
const specFile = join(tmp.dir, 'audit.json')
writeFileSync(
  specFile,
  JSON.stringify({
    name: 'crash matrix',
    dataset: { id: 'fashion-mnist', trainLimit: 800, testLimit: 200 },
    model: { arch: 'mlp' },
    train: { epochs: 2, learningRate: 0.05 },
    task: { kind: 'random', fraction: 0.1 },
    methods: ['finetune', 'retrain', 'ssd']
  })
)

interface Row {
  id: string
  method: string
  status: string
  error: string | null
  started_at: number | null
  ended_at: number | null
  model: string | null
  metrics: Record<string, unknown>
}

/** Every run with its output model's hash and all its metrics, read as a separate process would. */
function snapshot(db: string): { rows: Row[]; integrity: string } {
  const conn = new Database(db, { readonly: true })
  try {
    const rows = conn
      .prepare(
        `SELECT r.id, r.method, r.status, r.error, r.started_at, r.ended_at, m.sha256 AS model,
           (SELECT json_group_object(name, value) FROM (SELECT name, value FROM metrics WHERE run_id = r.id ORDER BY name)) AS metrics
         FROM runs r LEFT JOIN models m ON m.id = r.output_model_id ORDER BY r.position`
      )
      .all() as Array<Omit<Row, 'metrics'> & { metrics: string }>
    return {
      rows: rows.map((r) => ({ ...r, metrics: JSON.parse(r.metrics) as Record<string, unknown> })),
      integrity: conn.pragma('integrity_check', { simple: true }) as string
    }
  } finally {
    conn.close()
  }
}

/** Files left half-written anywhere under the data folder. */
function partialFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.includes('.partial-'))
}

/** Runs the same command again without the fault and checks the audit is finished, with what had finished before unchanged. */
async function resumeAndCheck(db: string, before: Row[]) {
  const resumed = await runAuditCli([specFile, '--db', db])
  expect(resumed.code, resumed.stderr).toBe(0)
  const owed = before.filter((r) => r.status !== 'done').length
  expect(resumed.stderr).toContain(`run(s) still to do`)
  expect(resumed.stderr).toMatch(new RegExp(`: ${owed} run\\(s\\) still to do`))
  const after = snapshot(db)
  expect(after.integrity).toBe('ok')
  expect(after.rows.map((r) => r.status)).toEqual(['done', 'done', 'done', 'done'])
  // Finished runs keep every field and every metric; they only gain the comparisons with retrain measured at the end.
  for (const r of before.filter((b) => b.status === 'done')) expect(after.rows.find((a) => a.id === r.id)).toMatchObject(r)
  const services = createNodeServices({ dataDir: tmp.dir, dbFile: db })
  try {
    // Every model the store references is whole: its files hash to what was recorded.
    expect((await verifyStore(services.store, services.paths)).findings).toEqual([])
  } finally {
    services.dispose()
  }
}

describe('crashes of the main process and a full disk', () => {
  it.each([1, 3])(
    'the main process killed inside the write that ends run %i: the write is rolled back, the run is interrupted, and the same command resumes',
    async (n) => {
      const db = join(tmp.dir, `killed-${n}.db`)
      const crashed = await runAuditCli([specFile, '--db', db, '--jobs', '1'], {
        NODE_OPTIONS: `--require ${FAULTS}`,
        FAULT: `kill-main-in-write:${n}`
      })
      expect(crashed.signal).toBe('SIGKILL')

      const { rows, integrity } = snapshot(db)
      expect(integrity).toBe('ok')
      expect(rows.slice(0, n - 1).map((r) => r.status)).toEqual(Array(n - 1).fill('done'))
      // Nothing of the transaction it died in was kept: the run is still running, with no metrics and no model.
      expect(rows[n - 1]).toMatchObject({ status: 'running', ended_at: null, model: null, metrics: {} })
      expect(rows.slice(n).map((r) => r.status)).toEqual(Array(4 - n).fill('queued'))

      // The next process to open the store marks the cut-off run interrupted, never lost.
      const store = new AuditStore(db)
      expect(store.runs.markInterrupted()).toBe(1)
      const interrupted = snapshot(db).rows[n - 1]!
      store.close()
      expect(interrupted).toMatchObject({ status: 'interrupted', error: 'The process running it stopped before it finished' })

      await resumeAndCheck(db, rows)
    },
    240_000
  )

  it('a disk that fills while a model is saved: no half-written model is kept or referenced, the run is interrupted, the audit pauses, and a resume finishes it', async () => {
    const db = join(tmp.dir, 'full.db')
    // The original saves; the first unlearned model finds the disk full.
    const full = await runAuditCli([specFile, '--db', db, '--jobs', '1'], {
      NODE_OPTIONS: `--require ${FAULTS}`,
      FAULT: 'disk-full-on-save:2'
    })
    expect(full.code).toBe(1)
    expect(full.stderr).toMatch(/3 of 4 runs did not finish/)

    const { rows, integrity } = snapshot(db)
    expect(integrity).toBe('ok')
    expect(rows.map((r) => r.status)).toEqual(['done', 'interrupted', 'queued', 'queued'])
    expect(rows[1]).toMatchObject({
      model: null,
      error: expect.stringMatching(/^ENOSPC: no space left on device.*; resume the audit to run it again$/)
    })
    expect(existsSync(join(tmp.dir, 'models', rows[1]!.id, 'model'))).toBe(false)
    expect(partialFiles(tmp.dir)).toEqual([])

    await resumeAndCheck(db, rows)
  }, 240_000)
})
