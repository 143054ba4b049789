import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import { runAuditCli } from '../helpers/run-cli'
import { makeTempDir } from '../helpers/tmp'

// Metrics that depend on the machine's clock or cache, not on the model.
const TIMING = new Set(['seconds', 'reusedModel', 'tuningSeconds'])

/** Every finished run's scalar metrics, keyed by method, seed and sweep cell. */
function metricsOf(dbFile: string): Map<string, Record<string, number>> {
  const db = new Database(dbFile, { readonly: true })
  try {
    const runs = db.prepare(`SELECT id, method, seed, cell_key, status FROM runs`).all() as Array<{
      id: string
      method: string
      seed: number
      cell_key: string
      status: string
    }>
    const read = db.prepare(`SELECT name, value FROM metrics WHERE run_id = ? AND value IS NOT NULL`)
    return new Map(
      runs.map((r) => [
        `${r.method}|${r.seed}|${r.cell_key}|${r.status}`,
        Object.fromEntries(
          (read.all(r.id) as Array<{ name: string; value: number }>).filter((m) => !TIMING.has(m.name)).map((m) => [m.name, m.value])
        )
      ])
    )
  } finally {
    db.close()
  }
}

describe('a sweep sharded across processes', () => {
  const tmp = makeTempDir('shards')
  afterAll(() => tmp.cleanup())
  const spec = join(tmp.dir, 'task.json')
  writeFileSync(
    spec,
    JSON.stringify({
      name: 'sharded',
      dataset: { id: 'fashion-mnist', trainLimit: 600, testLimit: 200 },
      model: { arch: 'mlp' },
      train: { epochs: 2, batchSize: 64, learningRate: 0.05 },
      task: { kind: 'random', fraction: 0.1 },
      methods: ['retrain', 'finetune'],
      seeds: [0, 1],
      // The hidden size: each width is an original of its own, so each (width, seed) can run apart.
      sweep: { width: [0.5, 1, 1.5] }
    })
  )
  const plan = join(tmp.dir, 'plan')
  const shardDir = (k: number) => join(tmp.dir, 'results', String(k))

  it('3 shards run as 3 processes give exactly the metrics of the whole audit run on one machine', async () => {
    expect((await runAuditCli(['plan', spec, '--shards', '3', '--out', plan, '--db', join(tmp.dir, 'plan.db')])).code).toBe(0)
    const shards = await Promise.all(
      [1, 2, 3].map((k) => runAuditCli(['run-shard', join(plan, `shard-${k}.json`), '--out', shardDir(k), '--jobs', '1']))
    )
    for (const r of shards) {
      expect(r.code, r.stderr).toBe(0)
      expect(r.stdout).toMatch(/shard \d of 3: bundle .*bundle\.zip/)
    }
    const whole = await runAuditCli([spec, '--db', join(tmp.dir, 'whole', 'audit.db'), '--jobs', '1'])
    expect(whole.code, whole.stderr).toBe(0)
    const merged = new Map([1, 2, 3].flatMap((k) => [...metricsOf(join(shardDir(k), 'audit.db'))]))
    const single = metricsOf(join(tmp.dir, 'whole', 'audit.db'))
    expect([...merged.keys()].sort()).toEqual([...single.keys()].sort())
    expect(merged.size).toBe(18)
    for (const [key, metrics] of single) expect(merged.get(key), key).toEqual(metrics)
  }, 300_000)

  it('merges the shards into one audit with the whole run’s metrics and a clean verify; refuses a tampered, duplicate, foreign or missing shard', async () => {
    const merged = join(tmp.dir, 'merged', 'audit.db')
    const dirs = [1, 2, 3].map(shardDir)
    const ok = await runAuditCli(['merge', ...dirs, '--db', merged, '--json', join(tmp.dir, 'merged.json')])
    expect(ok.code, ok.stderr).toBe(0)
    expect(ok.stdout).toMatch(/merged: audit "sharded" .*18 runs from 3 shards/)
    expect(metricsOf(merged)).toEqual(metricsOf(join(tmp.dir, 'whole', 'audit.db')))
    const summary = JSON.parse(readFileSync(join(tmp.dir, 'merged.json'), 'utf8')) as { runs: Array<{ cell: unknown; backend: string }> }
    expect(summary.runs).toHaveLength(18)
    expect(summary.runs.every((r) => r.cell !== null && typeof r.backend === 'string')).toBe(true)
    const verify = await runAuditCli(['verify', merged])
    expect(verify.code, verify.stdout + verify.stderr).toBe(0)
    expect(verify.stdout).toMatch(/every hash recomputes/)
    const report = await runAuditCli(['merge', ...dirs, '--db', merged, '--report', join(tmp.dir, 'merged.pdf')])
    expect(report.code, report.stderr).toBe(0)
    // Merging again finds the same audit.
    expect((await runAuditCli(['merge', ...dirs, '--db', merged])).stdout).toMatch(/already merged/)

    const fresh = join(tmp.dir, 'refused', 'audit.db')
    const twice = await runAuditCli(['merge', dirs[0]!, dirs[0]!, dirs[1]!, dirs[2]!, '--db', fresh])
    expect(twice.stderr).toMatch(/shard 1 is given twice/)
    const missing = await runAuditCli(['merge', dirs[0]!, dirs[1]!, '--db', fresh])
    expect(missing.stderr).toMatch(/shard\(s\) 3 of 3 are missing/)

    const tampered = join(tmp.dir, 'tampered-3')
    cpSync(dirs[2]!, tampered, { recursive: true })
    const zip = readFileSync(join(tampered, 'bundle.zip'))
    const middle = Math.floor(zip.length / 2)
    zip[middle] = zip[middle]! ^ 0xff
    writeFileSync(join(tampered, 'bundle.zip'), zip)
    const bad = await runAuditCli(['merge', dirs[0]!, dirs[1]!, tampered, '--db', fresh])
    expect(bad.code).not.toBe(0)
    expect(bad.stderr).toMatch(/cannot merge: shard 3 \(.*tampered-3\)/)

    const otherPlan = join(tmp.dir, 'plan-2')
    expect((await runAuditCli(['plan', spec, '--shards', '2', '--out', otherPlan, '--db', join(tmp.dir, 'plan.db')])).code).toBe(0)
    const foreign = join(tmp.dir, 'foreign')
    expect((await runAuditCli(['run-shard', join(otherPlan, 'shard-2.json'), '--out', foreign, '--jobs', '1'])).code).toBe(0)
    const mixed = await runAuditCli(['merge', dirs[0]!, foreign, dirs[2]!, '--db', fresh])
    expect(mixed.stderr).toMatch(/belongs to another plan/)
    expect(existsSync(fresh) ? metricsOf(fresh).size : 0).toBe(0)
  }, 300_000)

  it('a shard killed mid-run resumes in its folder; a folder of another shard and another dataset are refused', async () => {
    const dir = join(tmp.dir, 'killed')
    const killed = await runAuditCli(['run-shard', join(plan, 'shard-2.json'), '--out', dir, '--jobs', '1'], {}, (err) =>
      /run \w+ done/.test(err)
    )
    expect(killed.signal).toBe('SIGKILL')
    const resumed = await runAuditCli(['run-shard', join(plan, 'shard-2.json'), '--out', dir, '--jobs', '1'])
    expect(resumed.code, resumed.stderr).toBe(0)
    expect(resumed.stderr).toMatch(/resuming audit/)
    expect(metricsOf(join(dir, 'audit.db'))).toEqual(metricsOf(join(shardDir(2), 'audit.db')))

    const other = await runAuditCli(['run-shard', join(plan, 'shard-1.json'), '--out', dir])
    expect(other.code).not.toBe(0)
    expect(other.stderr).toMatch(/already holds another shard/)

    const tampered = join(tmp.dir, 'tampered.json')
    writeFileSync(
      tampered,
      JSON.stringify({ ...JSON.parse(readFileSync(join(plan, 'shard-3.json'), 'utf8')), datasetSha256: 'b'.repeat(64) })
    )
    const wrongData = await runAuditCli(['run-shard', tampered, '--out', join(tmp.dir, 'wrong')])
    expect(wrongData.code).not.toBe(0)
    expect(wrongData.stderr).toMatch(/is not the one the plan was made with/)
  }, 300_000)
})
