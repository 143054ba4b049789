import type Database from 'better-sqlite3'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { AuditStore } from '@main/store/audit-store'
import { parseTaskSpec } from '@shared/task-spec'
import { createDatabaseAt } from '../helpers/migrate-to'
import { makeTempDir } from '../helpers/tmp'

/** Migration 11 (task verdict): audits stored before it keep every row and have no verdict until they next end. */

const tmp = makeTempDir('migration-11')
afterAll(tmp.cleanup)

const hex = (c: string) => c.repeat(64)
const T0 = 1_717_171_717_000
const spec = parseTaskSpec({
  name: 'before verdicts',
  dataset: { id: 'fashion-mnist', trainLimit: 300, testLimit: 100 },
  model: { arch: 'mlp' },
  train: { epochs: 1, batchSize: 64, learningRate: 0.05 },
  task: { kind: 'class', classes: [1] },
  methods: ['retrain', 'finetune'],
  seeds: [0]
})

/** An audit as version 10 stored it: a dataset, a task (made here and one imported), runs with metrics, an index list. */
function seedV10(db: Database.Database): void {
  db.prepare(`INSERT INTO datasets (id, name, source, sha256, num_classes, input_shape_json, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`).run(
    'fashion-mnist',
    'Fashion-MNIST',
    'builtin',
    hex('a'),
    10,
    '[28,28,1]',
    T0
  )
  const task = db.prepare(
    `INSERT INTO tasks (id, name, spec_json, spec_sha256, dataset_id, created_at, origin_json) VALUES (?, ?, ?, ?, 'fashion-mnist', ?, ?)`
  )
  task.run('task-1', 'before verdicts', JSON.stringify(spec), hex('b'), T0 + 1, null)
  task.run(
    'task-imported',
    'from a bundle',
    JSON.stringify(spec),
    hex('c'),
    T0 + 2,
    JSON.stringify({ bundleSha256: hex('d'), contentHash: hex('e'), appVersion: '0.1.0', importedAt: T0 + 3 })
  )
  const run = db.prepare(
    `INSERT INTO runs (id, task_id, method, params_json, seed, status, backend, position, created_at, ended_at, cell_key, metrics_json, backend_skipped_json)
     VALUES (?, ?, ?, '{}', 0, ?, 'wasm', ?, ?, ?, '', ?, '[]')`
  )
  run.run('run-original', 'task-1', 'original', 'done', 0, T0 + 4, T0 + 5, '{"testAccuracy":0.8125}')
  run.run('run-retrain', 'task-1', 'retrain', 'done', 1, T0 + 4, T0 + 6, '{"forgetAccuracy":0,"testAccuracy":0.75}')
  run.run('run-finetune', 'task-1', 'finetune', 'failed', 2, T0 + 4, T0 + 7, null)
  run.run('run-imported', 'task-imported', 'original', 'done', 0, T0 + 8, T0 + 9, '{"testAccuracy":0.5}')
  const metric = db.prepare(`INSERT INTO metrics (run_id, name, value) VALUES (?, ?, ?)`)
  metric.run('run-original', 'testAccuracy', 0.8125)
  metric.run('run-retrain', 'forgetAccuracy', 0)
  metric.run('run-retrain', 'testAccuracy', 0.75)
  metric.run('run-imported', 'testAccuracy', 0.5)
  db.prepare(`INSERT INTO splits (task_id, cell_key, seed, kind, count, sha256, indices) VALUES ('task-1', '', 0, 'forget', 2, ?, ?)`).run(
    hex('f'),
    Buffer.from(Int32Array.from([3, 17]).buffer)
  )
}

function dump(db: Database.Database, table: string): unknown[] {
  return db.prepare(`SELECT * FROM ${table} ORDER BY 1, 2`).all()
}

describe('migration 11 (task verdict)', () => {
  it('adds tasks.verdict, null for every audit stored before it, and keeps every row', () => {
    const m = createDatabaseAt(tmp.dir, 10)
    seedV10(m.db)
    const before = Object.fromEntries(['datasets', 'tasks', 'runs', 'metrics', 'splits'].map((t) => [t, dump(m.db, t)]))
    const db = m.migrateTo(11)
    for (const [table, rows] of Object.entries(before)) {
      const after = dump(db, table) as Array<Record<string, unknown>>
      const kept = table === 'tasks' ? after.map(({ verdict: _verdict, ...rest }) => rest) : after
      expect(kept, table).toEqual(rows)
    }
    expect(db.prepare(`SELECT id, verdict FROM tasks ORDER BY id`).all()).toEqual([
      { id: 'task-1', verdict: null },
      { id: 'task-imported', verdict: null }
    ])
    expect(db.pragma('foreign_key_check')).toEqual([])
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok')
    m.close()
  })

  it('lists migrated audits with a null verdict through the store, and stores one once written', () => {
    const m = createDatabaseAt(tmp.dir, 10, 'through-store.db')
    seedV10(m.db)
    m.close()
    const store = new AuditStore(join(tmp.dir, 'through-store.db'))
    try {
      const tasks = store.tasks.list()
      expect(tasks.map((t) => [t.id, t.verdict, t.counts])).toEqual([
        ['task-imported', null, { done: 1 }],
        ['task-1', null, { done: 2, failed: 1 }]
      ])
      expect(store.runs.list('task-1').map((r) => r.metrics)).toEqual([
        { testAccuracy: 0.8125 },
        { forgetAccuracy: 0, testAccuracy: 0.75 },
        {}
      ])
      // Written as an audit's execution ends: the retrain and the original finished, no unlearning method did.
      store.recordVerdict('task-1')
      expect(store.tasks.get('task-1')?.verdict).toMatch(/No unlearning method finished.*1 of 3 runs failed/)
      store.tasks.setVerdict('task-1', null)
      expect(store.tasks.get('task-1')?.verdict).toBeNull()
    } finally {
      store.close()
    }
  })
})
