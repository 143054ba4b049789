import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import { pdfText } from '../helpers/pdf'
import { runAuditCli } from '../helpers/run-cli'
import { makeTempDir } from '../helpers/tmp'
import { tinySweep } from '../helpers/tiny-sweep'

const tmp = makeTempDir('sweep')
afterAll(tmp.cleanup)

const sweep = tinySweep('tiny sweep')

interface Row {
  method: string
  cell_key: string
  seed: number
  status: string
  started_at: number | null
}

function readRuns(db: string): { runs: Row[]; accuracy: Map<string, number | null> } {
  const conn = new Database(db, { readonly: true })
  try {
    const runs = conn.prepare(`SELECT method, cell_key, seed, status, started_at FROM runs ORDER BY position`).all() as Row[]
    const metrics = conn
      .prepare(
        `SELECT r.method, r.cell_key, r.seed, m.name, m.value FROM metrics m JOIN runs r ON r.id = m.run_id WHERE m.name IN ('forgetAccuracy', 'testAccuracy', 'healedTrain')`
      )
      .all() as Array<{ method: string; cell_key: string; seed: number; name: string; value: number | null }>
    return { runs, accuracy: new Map(metrics.map((m) => [`${m.method}|${m.cell_key}|${m.seed}|${m.name}`, m.value])) }
  } finally {
    conn.close()
  }
}

describe('sweeps', () => {
  const specFile = join(tmp.dir, 'sweep.json')
  writeFileSync(specFile, JSON.stringify(sweep))

  it('a crash mid-sweep leaves a consistent database; the same command resumes it, and every cell ends done once with the metrics of an uninterrupted sweep', async () => {
    // The reference runs two jobs at once; the crashed one runs one (the default here): equal metrics
    // also show that parallel jobs change nothing but the time taken.
    const reference = await runAuditCli([specFile, '--db', join(tmp.dir, 'reference.db'), '--jobs', '2'])
    expect(reference.code, reference.stderr).toBe(0)
    const ref = readRuns(join(tmp.dir, 'reference.db'))
    expect(ref.runs).toHaveLength(12)
    expect(new Set(ref.runs.map((r) => r.cell_key))).toEqual(
      new Set([
        'corruption=poison,discoveryRate=0.5',
        'corruption=poison,discoveryRate=1',
        'corruption=interclass-swap,discoveryRate=0.5',
        'corruption=interclass-swap,discoveryRate=1'
      ])
    )

    // One original per corruption recipe: the second discovery rate of each reuses (only measures) it.
    const refDb = new Database(join(tmp.dir, 'reference.db'), { readonly: true })
    const reused = refDb
      .prepare(
        `SELECT r.cell_key FROM metrics m JOIN runs r ON r.id = m.run_id WHERE m.name = 'reusedModel' AND r.method = 'original' ORDER BY r.position`
      )
      .all()
    refDb.close()
    expect(reused).toEqual([{ cell_key: 'corruption=poison,discoveryRate=1' }, { cell_key: 'corruption=interclass-swap,discoveryRate=1' }])

    const db = join(tmp.dir, 'crashed.db')
    // Killed once four runs have finished: mid-sweep, with a run in flight.
    const crashed = await runAuditCli([specFile, '--db', db, '--jobs', '1'], {}, (err) => (err.match(/^run \w+ done$/gm) ?? []).length >= 4)
    expect(crashed.signal).toBe('SIGKILL')
    const afterCrash = readRuns(db)
    expect(afterCrash.runs.filter((r) => r.status === 'done').length).toBeGreaterThanOrEqual(4)
    expect(afterCrash.runs.some((r) => r.status === 'queued' || r.status === 'running')).toBe(true)
    const conn = new Database(db, { readonly: true })
    expect(conn.pragma('integrity_check', { simple: true })).toBe('ok')
    conn.close()

    const pdf = join(tmp.dir, 'sweep.pdf')
    const resumed = await runAuditCli([specFile, '--db', db, '--report', pdf])
    expect(resumed.code, resumed.stderr).toBe(0)
    expect(resumed.stderr).toMatch(/resuming audit [\w-]+ in .*: \d+ run\(s\) still to do/)
    const final = readRuns(db)
    expect(final.runs).toHaveLength(12)
    expect(final.runs.every((r) => r.status === 'done')).toBe(true)
    // Finished runs were not repeated: they kept their start time from before the crash.
    const doneBefore = afterCrash.runs.filter((r) => r.status === 'done')
    for (const before of doneBefore) {
      const after = final.runs.find((r) => r.method === before.method && r.cell_key === before.cell_key && r.seed === before.seed)!
      expect(after.started_at).toBe(before.started_at)
    }
    // The report carries the task-space section: leaderboard and one heat-map per method.
    const text = await pdfText(pdf)
    expect(text).toContain('Task space')
    expect(text).toMatch(/retrain \(ref\.\)/)
    expect(text).toMatch(/finetune: Utility × Healed/)
    // …the lines over the discovery rate per corruption, the trade-off scatter, and one run class by class.
    expect(text).toMatch(/poison \(high\): Healed \(train\)/)
    expect(text).toMatch(/inter-class swap: Healed \(train\)/)
    expect(text).toContain('Trade-off: Healed (train) against utility')
    expect(text).toContain('Class by class')
    expect(text).toContain('Corrupted samples, discovered and undiscovered')
    expect(text).toMatch(/Confusion on the test split: finetune/)
    expect(final.accuracy.size).toBe(ref.accuracy.size)
    for (const [key, value] of ref.accuracy) expect(final.accuracy.get(key), key).toBe(value)
  }, 600_000)
})
