import Database from 'better-sqlite3'
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BACKEND_ORDER } from '@main/engine/backend/select'
import { expectedBackend } from '../helpers/native-backend'
import { pageInk, pdfText } from '../helpers/pdf'
import { runAuditCli } from '../helpers/run-cli'
import { makeTempDir } from '../helpers/tmp'

const tmp = makeTempDir('headless')
afterAll(tmp.cleanup)

describe('headless audit command', () => {
  const db = join(tmp.dir, 'audit.db')
  const pdf = join(tmp.dir, 'report.pdf')
  const json = join(tmp.dir, 'result.json')
  let result: Awaited<ReturnType<typeof runAuditCli>>

  beforeAll(async () => {
    // The quickstart's data, model and training recipe, with one method to keep CI short.
    const spec = JSON.parse(readFileSync('examples/quickstart.json', 'utf8'))
    spec.methods = ['finetune']
    const specFile = join(tmp.dir, 'task.json')
    writeFileSync(specFile, JSON.stringify(spec))
    result = await runAuditCli([specFile, '--db', db, '--report', pdf, '--json', json])
  }, 600_000)

  it('finishes and reports the original cnn-small at test accuracy >= 0.80', () => {
    expect(result.code, result.stderr).toBe(0)
    // A fresh database has no measured speeds: the plan is announced without a time.
    // The first line names the backend, and how to get native speed where it fell back for want of oneDNN.
    const first = result.stderr.split('\n')[0]!
    expect(first).toMatch(new RegExp(`^audit: engine on ${expectedBackend()}`))
    expect(first.includes('apt-get install libdnnl-dev')).toBe(expectedBackend() === 'wasm' && !process.env.UNLEARN_BACKEND)
    expect(result.stderr).toMatch(/^audit: 2 run\(s\) \(not counted, never run here: original, finetune\)$/m)
    // Off a terminal, progress comes as whole lines with a bar, never carriage returns.
    expect(result.stderr).toMatch(/^\[[#-]{24}\] +\d+%/m)
    expect(result.stderr).not.toContain('\r')
    const out = JSON.parse(readFileSync(json, 'utf8'))
    expect(out.task.name).toBe('quickstart')
    expect(out.task.specSha256).toMatch(/^[0-9a-f]{64}$/)
    expect(out.runs.map((r: { method: string }) => r.method)).toEqual(['original', 'finetune'])
    for (const run of out.runs) {
      expect(run.status).toBe('done')
      expect(run.backend).toBe(expectedBackend())
      // Each faster backend is named with why it did not run (tfjs-node is never installed in tests).
      const faster = process.env.UNLEARN_BACKEND ? [] : BACKEND_ORDER.slice(0, BACKEND_ORDER.indexOf(expectedBackend()))
      expect(run.backendSkipped.map((reason: string) => reason.split(':')[0])).toEqual(faster)
      for (const key of ['testAccuracy', 'retainAccuracy', 'forgetAccuracy']) {
        expect(run.metrics[key]).toBeGreaterThanOrEqual(0)
        expect(run.metrics[key]).toBeLessThanOrEqual(1)
      }
      expect(run.metrics.seconds).toBeGreaterThan(0)
      expect(run.modelSha256).toMatch(/^[0-9a-f]{64}$/)
    }
    expect(out.runs[0].metrics.testAccuracy).toBeGreaterThanOrEqual(0.8)
  })

  it('writes the runs, metrics and models to the database', () => {
    const conn = new Database(db, { readonly: true })
    const runs = conn
      .prepare(`SELECT method, status, backend, forget_count, retain_count, forget_sha256 FROM runs ORDER BY position`)
      .all() as Array<Record<string, unknown>>
    expect(runs).toHaveLength(2)
    expect(runs.every((r) => r.status === 'done' && r.backend === expectedBackend())).toBe(true)
    expect(runs[0]).toMatchObject({ forget_count: 600, retain_count: 5400 })
    const names = (conn.prepare(`SELECT DISTINCT name FROM metrics`).all() as Array<{ name: string }>).map((m) => m.name)
    expect(names).toEqual(
      expect.arrayContaining([
        'testAccuracy',
        'retainAccuracy',
        'forgetAccuracy',
        'perClassTestAccuracy',
        'miaEfficacy',
        'miaAuc',
        'seconds',
        'paramsChanged'
      ])
    )
    const splits = conn.prepare(`SELECT kind, count, sha256 FROM splits`).all()
    expect(splits).toEqual([{ kind: 'forget', count: 600, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) }])
    const models = conn.prepare(`SELECT path FROM models`).all() as Array<{ path: string }>
    expect(models).toHaveLength(2)
    for (const m of models) expect(existsSync(join(tmp.dir, m.path, 'model.json'))).toBe(true)
    expect(conn.prepare(`SELECT sha256 FROM datasets WHERE id = 'fashion-mnist'`).get()).toMatchObject({
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/)
    })
    conn.close()
  })

  it('writes a PDF that renders, with the hashes and metrics in it', async () => {
    expect(statSync(pdf).size).toBeGreaterThan(10_000)
    expect((await pageInk(pdf, 40))[0]).toBeGreaterThan(0)
    const text = await pdfText(pdf)
    const out = JSON.parse(readFileSync(json, 'utf8'))
    expect(text).toContain(out.task.specSha256)
    expect(text).toContain('Forget accuracy')
    expect(text).toContain(out.runs[0].metrics.testAccuracy.toFixed(3))
    expect(text).toContain('Trade-off: 1 − forget accuracy against test accuracy')
    expect(text).toContain('Test accuracy per class')
  })

  it('exits non-zero with a one-line reason on bad input', async () => {
    const bad = join(tmp.dir, 'bad.json')
    writeFileSync(
      bad,
      JSON.stringify({
        name: 'x',
        dataset: { id: 'fashion-mnist' },
        model: { arch: 'cnn-small' },
        train: { epochs: 1, learningRate: -2 },
        task: { kind: 'random', fraction: 0.1 },
        methods: ['finetune']
      })
    )
    const invalid = await runAuditCli([bad, '--db', join(tmp.dir, 'bad.db')])
    expect(invalid.code).toBe(2)
    expect(invalid.stderr.trim().split('\n')).toHaveLength(1)
    expect(invalid.stderr).toMatch(/^audit: invalid task spec: train\.learningRate: /)

    writeFileSync(bad, '{ not json')
    const notJson = await runAuditCli([bad])
    expect(notJson.code).toBe(2)
    expect(notJson.stderr).toMatch(/^audit: .*bad\.json is not valid JSON/)

    const missing = await runAuditCli([join(tmp.dir, 'nope.json')])
    expect(missing.code).toBe(2)
    expect(missing.stderr).toMatch(/cannot read .*nope\.json: ENOENT/)
  })
})
