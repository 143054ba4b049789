import Database from 'better-sqlite3'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { openDatabase, StoreError } from '@main/store/database'
import { LATEST_VERSION, MIGRATIONS, type Migration } from '@main/store/migrations'
import { AuditStore } from '@main/store/audit-store'
import { metricsSha256 } from '@main/store/audit-log'
import { makeTempDir } from '../helpers/tmp'
import { withRawDatabase } from '../helpers/raw-database'

const tmp = makeTempDir('store')
afterAll(tmp.cleanup)

describe('store migrations', () => {
  it('creates every table on a new database and records the schema version', () => {
    const db = openDatabase(join(tmp.dir, 'new.db'))
    expect(db.pragma('user_version', { simple: true })).toBe(LATEST_VERSION)
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
    const tables = (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).all() as Array<{ name: string }>).map(
      (t) => t.name
    )
    expect(tables).toEqual(expect.arrayContaining(['datasets', 'metrics', 'models', 'runs', 'tasks']))
    db.close()
  })

  it('migrates an older database in order, keeps its rows, and backs it up first', () => {
    const file = join(tmp.dir, 'old.db')
    const v1: Migration = { version: 1, name: 'one', up: (db) => db.exec('CREATE TABLE items (id INTEGER PRIMARY KEY, label TEXT) STRICT') }
    const v2: Migration = {
      version: 2,
      name: 'two',
      up: (db) => db.exec(`ALTER TABLE items ADD COLUMN colour TEXT NOT NULL DEFAULT 'red'`)
    }
    const first = openDatabase(file, [v1])
    first.prepare(`INSERT INTO items (label) VALUES ('kept')`).run()
    first.close()
    const second = openDatabase(file, [v1, v2])
    expect(second.pragma('user_version', { simple: true })).toBe(2)
    expect(second.prepare('SELECT label, colour FROM items').get()).toEqual({ label: 'kept', colour: 'red' })
    second.close()
    expect(existsSync(`${file}.backup-v1`)).toBe(true)
  })

  it('rolls back a migration that fails, leaving the version unchanged', () => {
    const file = join(tmp.dir, 'failing.db')
    const ok: Migration = { version: 1, name: 'ok', up: (db) => db.exec('CREATE TABLE a (x INTEGER) STRICT') }
    const broken: Migration = {
      version: 2,
      name: 'broken',
      up: (db) => db.exec('CREATE TABLE b (x INTEGER) STRICT; SELECT * FROM missing_table')
    }
    openDatabase(file, [ok]).close()
    expect(() => openDatabase(file, [ok, broken])).toThrow(/missing_table/)
    const db = new Database(file)
    expect(db.pragma('user_version', { simple: true })).toBe(1)
    expect(db.prepare(`SELECT COUNT(*) AS n FROM sqlite_master WHERE name = 'b'`).get()).toEqual({ n: 0 })
    db.close()
  })

  it('refuses a database from a newer version without touching it', () => {
    const file = join(tmp.dir, 'newer.db')
    const db = new Database(file)
    db.pragma('user_version = 99')
    db.close()
    expect(() => openDatabase(file)).toThrow(/newer version of Unlearning Audit \(schema 99/)
  })

  it('says clearly when the file is not a database', () => {
    const file = join(tmp.dir, 'garbage.db')
    writeFileSync(file, 'this is not sqlite '.repeat(100))
    expect(() => openDatabase(file)).toThrow(StoreError)
    expect(() => openDatabase(file)).toThrow(/cannot be opened as an experiment database/)
  })

  it('fills in the metrics snapshot of runs stored before it existed, digit for digit', () => {
    const file = join(tmp.dir, 'v8.db')
    const v8 = openDatabase(
      file,
      MIGRATIONS.filter((m) => m.version <= 8)
    )
    v8.prepare(
      `INSERT INTO datasets (id, name, source, sha256, num_classes, input_shape_json, created_at) VALUES ('d', 'd', 'builtin', 'x', 2, '[1]', 0)`
    ).run()
    v8.prepare(`INSERT INTO tasks (id, name, spec_json, spec_sha256, dataset_id, created_at) VALUES ('t', 't', '{}', 's', 'd', 0)`).run()
    const putRun = v8.prepare(
      `INSERT INTO runs (id, task_id, method, params_json, seed, status, position, created_at) VALUES (?, 't', ?, '{}', 0, ?, ?, 0)`
    )
    putRun.run('a', 'original', 'done', 0)
    putRun.run('b', 'finetune', 'queued', 1)
    const putMetric = v8.prepare(`INSERT INTO metrics (run_id, name, value, value_json) VALUES ('a', ?, ?, ?)`)
    // 0.1 + 0.2 needs 17 significant digits: a snapshot printed with fewer would change the logged hash.
    putMetric.run('testAccuracy', 0.1 + 0.2, null)
    putMetric.run('forgetAccuracy', null, null)
    putMetric.run('perClassAccuracy', null, JSON.stringify([0.25, null, 1 / 3]))
    v8.close()

    const store = new AuditStore(file)
    const [done, queued] = store.runs.list('t')
    expect(done!.metrics).toEqual({ forgetAccuracy: null, perClassAccuracy: [0.25, null, 1 / 3], testAccuracy: 0.1 + 0.2 })
    expect(metricsSha256(done!.metrics)).toBe(metricsSha256(store.runs.metrics('a')))
    expect(queued!.metrics).toEqual({})
    // New metrics refresh the snapshot with the rows.
    store.runs.putMetrics('a', { utility: 0.5 })
    expect(store.runs.list('t')[0]!.metrics).toEqual(store.runs.metrics('a'))
    expect(store.runs.list('t')[0]!.metrics.utility).toBe(0.5)
    store.close()
  })

  it('gives runs stored before migration 10 no skipped backends, and records them for runs that finish after it', () => {
    const file = join(tmp.dir, 'v9.db')
    const v9 = openDatabase(
      file,
      MIGRATIONS.filter((m) => m.version <= 9)
    )
    v9.prepare(
      `INSERT INTO datasets (id, name, source, sha256, num_classes, input_shape_json, created_at) VALUES ('d', 'd', 'builtin', 'x', 2, '[1]', 0)`
    ).run()
    v9.prepare(`INSERT INTO tasks (id, name, spec_json, spec_sha256, dataset_id, created_at) VALUES ('t', 't', '{}', 's', 'd', 0)`).run()
    const putRun = v9.prepare(
      `INSERT INTO runs (id, task_id, method, params_json, seed, status, backend, position, created_at) VALUES (?, 't', ?, '{}', 0, ?, ?, ?, 0)`
    )
    putRun.run('old', 'original', 'done', 'wasm', 0)
    putRun.run('new', 'finetune', 'queued', null, 1)
    v9.close()

    const store = new AuditStore(file)
    expect(withRawDatabase(file, (db) => db.pragma('user_version', { simple: true }))).toBeGreaterThanOrEqual(10)
    expect(store.runs.list('t')[0]).toMatchObject({ backend: 'wasm', backendSkipped: [] })
    const reasons = ['tensorflow-gpu: not installed', 'tensorflow: not installed']
    store.runs.finish('new', { status: 'done', backend: 'native', backendSkipped: reasons, metrics: {} })
    expect(store.runs.list('t')[1]).toMatchObject({ backend: 'native', backendSkipped: reasons })
    store.close()
  })

  it('marks runs left running by a dead process as interrupted, and leaves finished runs alone', () => {
    const file = join(tmp.dir, 'crash.db')
    const store = new AuditStore(file)
    store.datasets.upsert({ id: 'd', name: 'd', source: 'builtin', sha256: 'x', numClasses: 2, inputShape: [1] })
    const task = store.tasks.create({ name: 't', spec: {}, specSha256: 's', datasetId: 'd' })
    const finished = store.runs.create({ taskId: task, method: 'original', params: {}, seed: 0, position: 0 })
    const inFlight = store.runs.create({ taskId: task, method: 'finetune', params: {}, seed: 0, position: 1 })
    store.runs.markRunning(finished, null)
    store.runs.finish(finished, { status: 'done', metrics: { testAccuracy: 0.9 } })
    store.runs.markRunning(inFlight, null)
    // A pid that cannot be alive: the process that owned the run is gone.
    withRawDatabase(file, (db) => db.prepare('UPDATE runs SET owner_pid = 2147483646 WHERE id = ?').run(inFlight))
    store.close()

    const reopened = new AuditStore(file)
    expect(reopened.runs.markInterrupted()).toBe(1)
    const runs = reopened.runs.list(task)
    expect(runs.map((r) => r.status)).toEqual(['done', 'interrupted'])
    expect(runs[0]!.metrics.testAccuracy).toBeCloseTo(0.9)
    expect(withRawDatabase(file, (db) => db.pragma('integrity_check', { simple: true }))).toBe('ok')
    reopened.close()
  })
})
