import type Database from 'better-sqlite3'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { AuditStore } from '@main/store/audit-store'
import { createDatabaseAt } from '../helpers/migrate-to'
import { makeTempDir } from '../helpers/tmp'

/** Migration 12 (privacy evidence): runs stored before it are the audit's own (replica null), with no attack scores. */

const tmp = makeTempDir('migration-12')
afterAll(tmp.cleanup)

const T0 = 1_717_171_717_000
const spec = {
  name: 'before privacy',
  dataset: { id: 'fashion-mnist', trainLimit: 300, testLimit: 100 },
  model: { arch: 'mlp' },
  train: { epochs: 1, batchSize: 64, optimizer: 'sgd', learningRate: 0.05, momentum: 0.9, weightDecay: 0, schedule: 'cosine' },
  task: { kind: 'class', classes: [1] },
  methods: [{ id: 'retrain', params: { epochs: 1, learningRate: 0.05 } }],
  seeds: [0]
}

function seedV11(db: Database.Database): void {
  db.prepare(`INSERT INTO datasets (id, name, source, sha256, num_classes, input_shape_json, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`).run(
    'fashion-mnist',
    'Fashion-MNIST',
    'builtin',
    'a'.repeat(64),
    10,
    '[28,28,1]',
    T0
  )
  db.prepare(
    `INSERT INTO tasks (id, name, spec_json, spec_sha256, dataset_id, created_at) VALUES ('task-1', ?, ?, ?, 'fashion-mnist', ?)`
  ).run(spec.name, JSON.stringify(spec), 'b'.repeat(64), T0 + 1)
  const run = db.prepare(
    `INSERT INTO runs (id, task_id, method, params_json, seed, status, backend, position, created_at, ended_at, cell_key, metrics_json, backend_skipped_json)
     VALUES (?, 'task-1', ?, '{}', 0, 'done', 'wasm', ?, ?, ?, '', ?, '[]')`
  )
  run.run('run-original', 'original', 0, T0 + 2, T0 + 3, '{"testAccuracy":0.8}')
  run.run('run-retrain', 'retrain', 1, T0 + 2, T0 + 4, '{"testAccuracy":0.75}')
}

describe('migration 12 (privacy evidence)', () => {
  it('adds runs.replica (null for every run before it) and an empty attack_scores table, keeping every row', () => {
    const m = createDatabaseAt(tmp.dir, 11)
    seedV11(m.db)
    const before = m.db.prepare(`SELECT * FROM runs ORDER BY id`).all()
    const db = m.migrateTo(12)
    const after = db.prepare(`SELECT * FROM runs ORDER BY id`).all() as Array<Record<string, unknown>>
    expect(after.map(({ replica: _replica, ...rest }) => rest)).toEqual(before)
    expect(after.map((r) => r.replica)).toEqual([null, null])
    expect(db.prepare(`SELECT COUNT(*) AS n FROM attack_scores`).get()).toEqual({ n: 0 })
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok')
    m.close()
  })

  it('reads old runs as the audit’s own through the store, and drops a run’s scores with the run', () => {
    const m = createDatabaseAt(tmp.dir, 11, 'through-store.db')
    seedV11(m.db)
    m.close()
    const store = new AuditStore(join(tmp.dir, 'through-store.db'))
    try {
      expect(store.runs.list('task-1').map((r) => [r.method, r.replica])).toEqual([
        ['original', null],
        ['retrain', null]
      ])
      const scores = {
        members: [1],
        nonMembers: [2],
        lira: { members: [0.9], nonMembers: [0.1] },
        rmia: { members: [1], nonMembers: [0] },
        ulira: null
      }
      store.attackScores.put('run-retrain', scores)
      expect(store.attackScores.forRuns(['run-original', 'run-retrain'])).toEqual(new Map([['run-retrain', scores]]))
      expect(store.tasks.delete('task-1')).toMatchObject({ deleted: true })
      expect(store.attackScores.forRuns(['run-retrain']).size).toBe(0)
    } finally {
      store.close()
    }
  })
})
