import type Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import { LATEST_VERSION } from '@main/store/migrations'
import { createDatabaseAt, migrationsUpTo } from '../helpers/migrate-to'
import { makeTempDir } from '../helpers/tmp'

/**
 * One test per migration, on the raw database: rows written with the columns of version N-1
 * survive the step to N, and what the step adds holds what it should (defaults, moved rows).
 * Migrations 9 and 10 are also covered through the store in migrations.test.ts.
 */

const tmp = makeTempDir('migration-steps')
afterAll(tmp.cleanup)

type Row = Record<string, unknown>
const hex = (c: string) => c.repeat(64)
const T0 = 1_717_171_717_000

/** Every row of a table, ordered by its first columns, optionally only some columns. */
function rows(db: Database.Database, table: string, columns?: string[]): Row[] {
  const all = (db.prepare(`SELECT * FROM ${table}`).all() as Row[]).map((r) =>
    columns ? Object.fromEntries(columns.map((c) => [c, r[c]])) : r
  )
  return all.sort((a, b) => JSON.stringify(Object.values(a)).localeCompare(JSON.stringify(Object.values(b))))
}

function columnsOf(db: Database.Database, table: string): string[] {
  return (db.prepare(`SELECT name FROM pragma_table_info(?)`).all(table) as Array<{ name: string }>).map((c) => c.name)
}

function tableNames(db: Database.Database): string[] {
  return (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).all() as Array<{ name: string }>).map(
    (t) => t.name
  )
}

/** Every table's rows with its columns, to compare after a step (new columns left out). */
function snapshot(db: Database.Database): Map<string, { columns: string[]; rows: Row[] }> {
  return new Map(tableNames(db).map((t) => [t, { columns: columnsOf(db, t), rows: rows(db, t) }]))
}

/** The rows of every table `before` had are still there, column for column, after the step. */
function expectRowsKept(before: ReturnType<typeof snapshot>, after: Database.Database, except: string[] = []): void {
  for (const [table, { columns, rows: old }] of before) {
    if (except.includes(table)) continue
    expect(old.length, `${table} was seeded`).toBeGreaterThan(0)
    expect(rows(after, table, columns), table).toEqual(old)
  }
  expect(after.pragma('foreign_key_check')).toEqual([])
  expect(after.pragma('integrity_check', { simple: true })).toBe('ok')
}

const indices = (...values: number[]) => Buffer.from(Int32Array.from(values).buffer)

/** An audit as version 1 stored it: the built-in dataset, a task, an original and a finetuned model, three runs and their metrics. */
function seedV1(db: Database.Database): void {
  db.prepare(`INSERT INTO datasets (id, name, source, sha256, num_classes, input_shape_json, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`).run(
    'fashion-mnist',
    'Fashion-MNIST',
    'builtin',
    hex('a'),
    10,
    '[28,28,1]',
    T0
  )
  db.prepare(`INSERT INTO tasks (id, name, spec_json, spec_sha256, dataset_id, created_at) VALUES (?, ?, ?, ?, ?, ?)`).run(
    'task-1',
    'poison audit',
    JSON.stringify({
      name: 'poison audit',
      dataset: { id: 'fashion-mnist', trainLimit: 600 },
      model: { arch: 'mlp' },
      task: { kind: 'corrupted', corruption: 'poison', corruptedCount: 40 }
    }),
    hex('b'),
    'fashion-mnist',
    T0 + 1
  )
  const model = db.prepare(
    `INSERT INTO models (id, sha256, arch, path, bytes, parameter_count, dataset_id, created_at) VALUES (?, ?, 'mlp', ?, ?, 101770, 'fashion-mnist', ?)`
  )
  model.run('model-original', hex('c'), `models/${hex('c')}`, 407_352, T0 + 2)
  model.run('model-finetuned', hex('d'), `models/${hex('d')}`, 407_352, T0 + 3)
  const run = db.prepare(
    `INSERT INTO runs (id, task_id, method, params_json, seed, status, backend, input_model_id, output_model_id, forget_count, retain_count, forget_sha256, steps, error, owner_pid, position, created_at, started_at, ended_at)
     VALUES (?, 'task-1', ?, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?)`
  )
  run.run('run-original', 'original', '{}', 'done', 'wasm', null, 'model-original', null, null, null, 20, null, 0, T0 + 4, T0 + 5, T0 + 9)
  run.run(
    'run-finetune',
    'finetune',
    '{"epochs":1}',
    'done',
    'wasm',
    'model-original',
    'model-finetuned',
    20,
    580,
    hex('e'),
    10,
    null,
    1,
    T0 + 4,
    T0 + 10,
    T0 + 12
  )
  run.run(
    'run-retrain',
    'retrain',
    '{"epochs":1}',
    'failed',
    'wasm',
    null,
    null,
    20,
    580,
    hex('e'),
    null,
    'Out of memory',
    2,
    T0 + 4,
    T0 + 13,
    T0 + 14
  )
  const metric = db.prepare(`INSERT INTO metrics (run_id, name, value) VALUES (?, ?, ?)`)
  metric.run('run-original', 'testAccuracy', 0.8125)
  metric.run('run-original', 'seconds', 3.25)
  metric.run('run-finetune', 'testAccuracy', 0.1 + 0.2)
  metric.run('run-finetune', 'forgetAccuracy', null)
}

/**
 * What an app at `version` could have stored: the version-1 audit, then a row in each table and
 * column every later migration added (so every table has rows when the next step runs).
 */
function seedAt(db: Database.Database, version: number): void {
  seedV1(db)
  if (version >= 2) {
    db.prepare(
      `INSERT INTO metrics (run_id, name, value, value_json) VALUES ('run-finetune', 'perClassAccuracy', NULL, '[0.5,0.25]')`
    ).run()
    const split = db.prepare(`INSERT INTO splits (task_id, seed, kind, count, sha256, indices) VALUES ('task-1', ?, ?, ?, ?, ?)`)
    split.run(0, 'forget', 3, hex('1'), indices(3, 17, 42))
    split.run(0, 'corrupted', 4, hex('2'), indices(3, 17, 42, 599))
    split.run(1, 'forget', 2, hex('3'), indices(8, 9))
  }
  if (version >= 3) {
    db.prepare(`INSERT INTO model_cache (key, model_id, created_at) VALUES (?, 'model-original', ?)`).run(hex('7'), T0 + 30)
    db.prepare(
      `INSERT INTO runs (id, task_id, method, params_json, seed, status, position, created_at, cell_key, cell_json) VALUES ('run-cell', 'task-1', 'finetune', '{}', 0, 'queued', 3, ?, 'corruption=swap', '{"corruption":"swap"}')`
    ).run(T0 + 31)
    db.prepare(
      `INSERT INTO splits (task_id, cell_key, seed, kind, count, sha256, indices) VALUES ('task-1', 'corruption=swap', 0, 'forget', 1, ?, ?)`
    ).run(hex('4'), indices(11))
  }
  if (version >= 4) {
    db.prepare(
      `INSERT INTO models (id, sha256, arch, path, bytes, parameter_count, dataset_id, created_at, source, name, input_shape_json, num_classes, test_accuracy) VALUES ('model-imported', ?, 'imported', ?, 27232, 6808, 'fashion-mnist', ?, 'imported', 'my cnn', '[28,28,1]', 10, 0.71)`
    ).run(hex('8'), `models/imported/${hex('8')}`, T0 + 40)
  }
  if (version >= 5) {
    db.prepare(
      `INSERT INTO datasets (id, name, source, sha256, num_classes, input_shape_json, created_at, path, bytes, train_size, test_size, class_names_json, description_json) VALUES ('strokes', 'strokes', 'imported', ?, 3, '[12,12,1]', ?, 'datasets/strokes', 14112, 96, 24, '["diagonal","horizontal","vertical"]', '{"skipped":[]}')`
    ).run(hex('9'), T0 + 50)
  }
  if (version >= 6) {
    const append = db.prepare(`INSERT INTO audit_log (seq, at, kind, subject, payload_json, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?)`)
    append.run(1, T0 + 60, 'created', 'task:task-1', '{"specSha256":"b"}', hex('0'), hex('a'))
    append.run(2, T0 + 61, 'finished', 'run:run-original', '{"status":"done"}', hex('a'), hex('b'))
  }
  if (version >= 7) {
    db.prepare(`INSERT INTO settings (key, value_json) VALUES ('pageSize', '"Letter"')`).run()
    db.prepare(
      `INSERT INTO tasks (id, name, spec_json, spec_sha256, dataset_id, created_at, origin_json) VALUES ('task-imported', 'from a bundle', '{}', ?, 'fashion-mnist', ?, ?)`
    ).run(hex('e'), T0 + 70, JSON.stringify({ bundleSha256: hex('c'), contentHash: hex('d'), appVersion: '0.1.0', importedAt: T0 + 70 }))
  }
  if (version >= 8) db.prepare(`UPDATE models SET codes_sha256 = ? WHERE id = 'model-imported'`).run(hex('f'))
  if (version >= 9) db.prepare(`UPDATE runs SET metrics_json = '{"seconds":3.25,"testAccuracy":0.8125}' WHERE id = 'run-original'`).run()
}

/** A fresh database at `from` with what that version stored, snapshotted, then migrated to `from + 1`. */
function step(from: number) {
  const m = createDatabaseAt(tmp.dir, from)
  seedAt(m.db, from)
  const before = snapshot(m.db)
  const db = m.migrateTo(from + 1)
  return { m, db, before }
}

describe('the migration helper', () => {
  it('creates a database at exactly the version asked and migrates the same file on', () => {
    const m = createDatabaseAt(tmp.dir, 3)
    expect(m.db.pragma('user_version', { simple: true })).toBe(3)
    expect(tableNames(m.db)).toContain('model_cache')
    expect(columnsOf(m.db, 'models')).not.toContain('source')
    const file = m.file
    const db = m.migrateTo(5)
    expect(m.file).toBe(file)
    expect(m.version).toBe(5)
    expect(db.pragma('user_version', { simple: true })).toBe(5)
    expect(columnsOf(db, 'datasets')).toContain('deleted_at')
    expect(() => m.migrateTo(4)).toThrow(/only go forward/)
    m.close()
    expect(() => migrationsUpTo(LATEST_VERSION + 1)).toThrow(/no schema version/)
    expect(migrationsUpTo(0)).toEqual([])
  })
})

describe('each migration keeps the rows before it and fills what it adds', () => {
  it('1 (initial): creates the strict, checked tables of datasets, tasks, models, runs and metrics', () => {
    const m = createDatabaseAt(tmp.dir, 0)
    expect(tableNames(m.db)).toEqual([])
    const db = m.migrateTo(1)
    expect(tableNames(db)).toEqual(['datasets', 'metrics', 'models', 'runs', 'tasks'])
    const indexes = (
      db.prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name`).all() as Array<{ name: string }>
    ).map((i) => i.name)
    expect(indexes).toEqual(['runs_by_status', 'runs_by_task'])
    seedV1(db)
    expect(rows(db, 'runs', ['id', 'status', 'input_model_id', 'output_model_id'])).toEqual([
      { id: 'run-finetune', status: 'done', input_model_id: 'model-original', output_model_id: 'model-finetuned' },
      { id: 'run-original', status: 'done', input_model_id: null, output_model_id: 'model-original' },
      { id: 'run-retrain', status: 'failed', input_model_id: null, output_model_id: null }
    ])
    expect(db.prepare(`SELECT value FROM metrics WHERE run_id = 'run-finetune' AND name = 'testAccuracy'`).get()).toEqual({
      value: 0.1 + 0.2
    })
    // STRICT: no silent coercion; CHECK: only known statuses and sources; foreign keys are on.
    expect(() => db.prepare(`UPDATE datasets SET num_classes = 'ten'`).run()).toThrow(/cannot store TEXT value in INTEGER column/)
    expect(() => db.prepare(`UPDATE runs SET status = 'paused' WHERE id = 'run-retrain'`).run()).toThrow(/CHECK constraint failed/)
    expect(() => db.prepare(`UPDATE datasets SET source = 'downloaded'`).run()).toThrow(/CHECK constraint failed/)
    expect(() =>
      db
        .prepare(
          `INSERT INTO tasks (id, name, spec_json, spec_sha256, dataset_id, created_at) VALUES ('t2', 't2', '{}', 's', 'no-such-dataset', 0)`
        )
        .run()
    ).toThrow(/FOREIGN KEY constraint failed/)
    // Deleting a task takes its runs and their metrics with it; models stay.
    db.prepare(`DELETE FROM tasks WHERE id = 'task-1'`).run()
    expect([rows(db, 'runs').length, rows(db, 'metrics').length, rows(db, 'models').length]).toEqual([0, 0, 2])
    m.close()
  })

  it('2 (splits and structured metrics): metrics get an empty value_json, and index lists have a table of their own', () => {
    const { m, db, before } = step(1)
    expectRowsKept(before, db)
    expect(rows(db, 'metrics', ['run_id', 'name', 'value_json'])).toEqual([
      { run_id: 'run-finetune', name: 'forgetAccuracy', value_json: null },
      { run_id: 'run-finetune', name: 'testAccuracy', value_json: null },
      { run_id: 'run-original', name: 'seconds', value_json: null },
      { run_id: 'run-original', name: 'testAccuracy', value_json: null }
    ])
    expect(rows(db, 'splits')).toEqual([])

    const perClass = [0.9, null, 1 / 3]
    db.prepare(`INSERT INTO metrics (run_id, name, value, value_json) VALUES ('run-original', 'perClassAccuracy', NULL, ?)`).run(
      JSON.stringify(perClass)
    )
    expect(
      JSON.parse((db.prepare(`SELECT value_json FROM metrics WHERE name = 'perClassAccuracy'`).get() as { value_json: string }).value_json)
    ).toEqual(perClass)
    const split = db.prepare(`INSERT INTO splits (task_id, seed, kind, count, sha256, indices) VALUES ('task-1', ?, ?, ?, ?, ?)`)
    split.run(0, 'forget', 3, hex('f'), indices(3, 17, 42))
    expect((db.prepare(`SELECT indices FROM splits`).get() as { indices: Buffer }).indices.equals(indices(3, 17, 42))).toBe(true)
    expect(() => split.run(0, 'forget', 1, hex('f'), indices(5))).toThrow(/UNIQUE constraint failed/)
    expect(() => split.run(0, 'retain', 1, hex('f'), indices(5))).toThrow(/CHECK constraint failed/)
    db.prepare(`DELETE FROM tasks WHERE id = 'task-1'`).run()
    expect(rows(db, 'splits')).toEqual([])
    m.close()
  })

  it("3 (sweep cells and model cache): runs and index lists move to the cell '', and the lists keep their bytes", () => {
    const { m, db, before } = step(2)
    // The splits table is rebuilt with a cell key; its old columns are compared here too.
    expectRowsKept(before, db)
    expect(rows(db, 'runs', ['id', 'cell_key', 'cell_json'])).toEqual([
      { id: 'run-finetune', cell_key: '', cell_json: null },
      { id: 'run-original', cell_key: '', cell_json: null },
      { id: 'run-retrain', cell_key: '', cell_json: null }
    ])
    expect(tableNames(db)).not.toContain('splits_by_cell')
    expect(columnsOf(db, 'splits')).toEqual(['task_id', 'cell_key', 'seed', 'kind', 'count', 'sha256', 'indices'])
    const moved = db.prepare(`SELECT cell_key, seed, kind, count, sha256, indices FROM splits ORDER BY seed, kind`).all() as Array<
      Row & { indices: Buffer }
    >
    expect(moved.map(({ indices: _, ...r }) => r)).toEqual([
      { cell_key: '', seed: 0, kind: 'corrupted', count: 4, sha256: hex('2') },
      { cell_key: '', seed: 0, kind: 'forget', count: 3, sha256: hex('1') },
      { cell_key: '', seed: 1, kind: 'forget', count: 2, sha256: hex('3') }
    ])
    expect(moved.map((r) => Array.from(new Int32Array(r.indices.buffer, r.indices.byteOffset, r.indices.byteLength / 4)))).toEqual([
      [3, 17, 42, 599],
      [3, 17, 42],
      [8, 9]
    ])

    // Cells of a sweep each keep their own lists for the same seed and kind.
    const cellSplit = db.prepare(
      `INSERT INTO splits (task_id, cell_key, seed, kind, count, sha256, indices) VALUES ('task-1', ?, 0, 'forget', 1, ?, ?)`
    )
    cellSplit.run('corruption=poison', hex('4'), indices(7))
    expect(() => cellSplit.run('', hex('4'), indices(7))).toThrow(/UNIQUE constraint failed/)
    // New runs land in the cell '' unless given one.
    db.prepare(
      `INSERT INTO runs (id, task_id, method, params_json, seed, status, position, created_at) VALUES ('run-new', 'task-1', 'finetune', '{}', 1, 'queued', 3, ?)`
    ).run(T0 + 20)
    expect(db.prepare(`SELECT cell_key, cell_json FROM runs WHERE id = 'run-new'`).get()).toEqual({ cell_key: '', cell_json: null })

    expect(rows(db, 'model_cache')).toEqual([])
    db.prepare(`INSERT INTO model_cache (key, model_id, created_at) VALUES (?, 'model-original', ?)`).run(hex('5'), T0 + 21)
    expect(() => db.prepare(`INSERT INTO model_cache (key, model_id, created_at) VALUES (?, 'no-such-model', 0)`).run(hex('6'))).toThrow(
      /FOREIGN KEY constraint failed/
    )
    // The rebuilt table still belongs to its task.
    db.prepare(`DELETE FROM model_cache`).run()
    db.prepare(`DELETE FROM tasks WHERE id = 'task-1'`).run()
    expect(rows(db, 'splits')).toEqual([])
    m.close()
  })

  it('4 (imported models): models stored before it were trained here, with nothing measured at import', () => {
    const { m, db, before } = step(3)
    expectRowsKept(before, db)
    expect(rows(db, 'models', ['id', 'source', 'name', 'input_shape_json', 'num_classes', 'test_accuracy'])).toEqual([
      { id: 'model-finetuned', source: 'trained', name: null, input_shape_json: null, num_classes: null, test_accuracy: null },
      { id: 'model-original', source: 'trained', name: null, input_shape_json: null, num_classes: null, test_accuracy: null }
    ])
    const put = db.prepare(
      `INSERT INTO models (id, sha256, arch, path, bytes, parameter_count, dataset_id, created_at, source, name, input_shape_json, num_classes, test_accuracy) VALUES (?, ?, 'imported', ?, 27232, 6808, 'fashion-mnist', ?, ?, 'my cnn', '[28,28,1]', 10, 0.71)`
    )
    put.run('model-imported', hex('8'), `models/imported/${hex('8')}`, T0 + 31, 'imported')
    expect(db.prepare(`SELECT source, name, num_classes, test_accuracy FROM models WHERE id = 'model-imported'`).get()).toEqual({
      source: 'imported',
      name: 'my cnn',
      num_classes: 10,
      test_accuracy: 0.71
    })
    expect(() => put.run('model-other', hex('9'), 'models/x', T0 + 32, 'downloaded')).toThrow(/CHECK constraint failed/)
    m.close()
  })

  it('5 (dataset library): datasets and models stored before it have no files to describe and are not deleted', () => {
    const { m, db, before } = step(4)
    expectRowsKept(before, db)
    expect(
      rows(db, 'datasets', ['id', 'path', 'bytes', 'train_size', 'test_size', 'class_names_json', 'description_json', 'deleted_at'])
    ).toEqual([
      {
        id: 'fashion-mnist',
        path: null,
        bytes: null,
        train_size: null,
        test_size: null,
        class_names_json: null,
        description_json: null,
        deleted_at: null
      }
    ])
    expect(rows(db, 'models', ['id', 'deleted_at'])).toEqual([
      { id: 'model-finetuned', deleted_at: null },
      { id: 'model-imported', deleted_at: null },
      { id: 'model-original', deleted_at: null }
    ])
    const classNames = ['diagonal', 'horizontal', 'vertical']
    db.prepare(
      `INSERT INTO datasets (id, name, source, sha256, num_classes, input_shape_json, created_at, path, bytes, train_size, test_size, class_names_json, description_json) VALUES ('strokes', 'strokes', 'imported', ?, 3, '[12,12,1]', ?, 'datasets/strokes', 14112, 96, 24, ?, ?)`
    ).run(hex('9'), T0 + 41, JSON.stringify(classNames), JSON.stringify({ preprocessing: { size: [12, 12], color: 'grey' }, skipped: [] }))
    expect(
      JSON.parse(
        (db.prepare(`SELECT class_names_json FROM datasets WHERE id = 'strokes'`).get() as { class_names_json: string }).class_names_json
      )
    ).toEqual(classNames)
    // A deletion stamps the row: the runs that used the model still find it.
    db.prepare(`UPDATE models SET deleted_at = ? WHERE id = 'model-original'`).run(T0 + 42)
    expect(
      db.prepare(`SELECT COUNT(*) AS n FROM runs r JOIN models mo ON mo.id = r.output_model_id WHERE mo.deleted_at IS NOT NULL`).get()
    ).toEqual({ n: 1 })
    m.close()
  })

  it('6 (audit log): adds an empty, append-only log', () => {
    const { m, db, before } = step(5)
    expectRowsKept(before, db)
    expect(columnsOf(db, 'audit_log')).toEqual(['seq', 'at', 'kind', 'subject', 'payload_json', 'prev_hash', 'hash'])
    expect(rows(db, 'audit_log')).toEqual([])
    const append = db.prepare(`INSERT INTO audit_log (seq, at, kind, subject, payload_json, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?)`)
    append.run(1, T0 + 50, 'created', 'task:task-1', '{"specSha256":"b"}', hex('0'), hex('a'))
    append.run(2, T0 + 51, 'finished', 'run:run-original', '{"status":"done"}', hex('a'), hex('b'))
    expect(() => append.run(3, T0 + 52, 'edited', 'run:run-original', '{}', hex('b'), hex('c'))).toThrow(/CHECK constraint failed/)
    expect(() => db.prepare(`UPDATE audit_log SET subject = 'run:forged' WHERE seq = 2`).run()).toThrow(/the audit log is append-only/)
    expect(() => db.prepare(`DELETE FROM audit_log WHERE seq = 1`).run()).toThrow(/the audit log is append-only/)
    expect(rows(db, 'audit_log', ['seq', 'subject'])).toEqual([
      { seq: 1, subject: 'task:task-1' },
      { seq: 2, subject: 'run:run-original' }
    ])
    m.close()
  })

  it('7 (settings and bundles): adds empty settings, and tasks stored before it were made here (no origin)', () => {
    const { m, db, before } = step(6)
    expectRowsKept(before, db)
    expect(rows(db, 'tasks', ['id', 'origin_json'])).toEqual([{ id: 'task-1', origin_json: null }])
    expect(rows(db, 'settings')).toEqual([])
    const put = db.prepare(`INSERT INTO settings (key, value_json) VALUES (?, ?)`)
    put.run('auditorName', JSON.stringify('Ana Šimić'))
    expect(() => put.run('auditorName', JSON.stringify('someone else'))).toThrow(/UNIQUE constraint failed/)
    const origin = { bundleSha256: hex('c'), contentHash: hex('d'), appVersion: '0.1.0', importedAt: T0 + 61 }
    db.prepare(
      `INSERT INTO tasks (id, name, spec_json, spec_sha256, dataset_id, created_at, origin_json) VALUES ('task-imported', 'from a bundle', '{}', ?, 'fashion-mnist', ?, ?)`
    ).run(hex('e'), T0 + 62, JSON.stringify(origin))
    expect(
      JSON.parse((db.prepare(`SELECT origin_json FROM tasks WHERE id = 'task-imported'`).get() as { origin_json: string }).origin_json)
    ).toEqual(origin)
    // The log's triggers survive the step.
    expect(() => db.prepare(`DELETE FROM audit_log`).run()).toThrow(/the audit log is append-only/)
    m.close()
  })

  it('8 (model codes): models stored before it carry no Mnemonic codes', () => {
    const { m, db, before } = step(7)
    expectRowsKept(before, db)
    expect(rows(db, 'models', ['id', 'codes_sha256'])).toEqual([
      { id: 'model-finetuned', codes_sha256: null },
      { id: 'model-imported', codes_sha256: null },
      { id: 'model-original', codes_sha256: null }
    ])
    db.prepare(`UPDATE models SET codes_sha256 = ? WHERE id = 'model-original'`).run(hex('f'))
    expect(db.prepare(`SELECT codes_sha256 FROM models WHERE id = 'model-original'`).get()).toEqual({ codes_sha256: hex('f') })
    expect(() => db.prepare(`UPDATE models SET codes_sha256 = X'00ff' WHERE id = 'model-original'`).run()).toThrow(
      /cannot store BLOB value in TEXT column/
    )
    m.close()
  })

  it('9 (run metrics snapshot): each run gets the JSON of its own metric rows, a run without metrics none, and the rows stay', () => {
    const { m, db, before } = step(8)
    expectRowsKept(before, db)
    // Keys in name order, reals at full precision, JSON values as JSON (store-level checks are in migrations.test.ts).
    expect(rows(db, 'runs', ['id', 'metrics_json'])).toEqual([
      { id: 'run-cell', metrics_json: null },
      {
        id: 'run-finetune',
        metrics_json: JSON.stringify({ forgetAccuracy: null, perClassAccuracy: [0.5, 0.25], testAccuracy: 0.1 + 0.2 })
      },
      { id: 'run-original', metrics_json: '{"seconds":3.25,"testAccuracy":0.8125}' },
      { id: 'run-retrain', metrics_json: null }
    ])
    m.close()
  })

  it('10 (backend skipped): runs stored before it record no skipped backends, and keep their backend and snapshot', () => {
    const { m, db, before } = step(9)
    expectRowsKept(before, db)
    expect(rows(db, 'runs', ['id', 'backend', 'backend_skipped_json', 'metrics_json'])).toEqual([
      { id: 'run-cell', backend: null, backend_skipped_json: null, metrics_json: null },
      { id: 'run-finetune', backend: 'wasm', backend_skipped_json: null, metrics_json: null },
      { id: 'run-original', backend: 'wasm', backend_skipped_json: null, metrics_json: '{"seconds":3.25,"testAccuracy":0.8125}' },
      { id: 'run-retrain', backend: 'wasm', backend_skipped_json: null, metrics_json: null }
    ])
    m.close()
  })

  it(`1 to ${LATEST_VERSION} in one go: the same schema as a new database, with every row kept and filled in`, () => {
    const { db: fresh, close: closeFresh } = createDatabaseAt(tmp.dir, LATEST_VERSION)
    const schema = (db: Database.Database) => db.prepare(`SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name`).all()
    const m = createDatabaseAt(tmp.dir, 1)
    seedV1(m.db)
    const before = snapshot(m.db)
    const db = m.migrateTo(LATEST_VERSION)
    expect(schema(db)).toEqual(schema(fresh))
    closeFresh()
    expectRowsKept(before, db)
    expect(db.prepare(`SELECT source, codes_sha256, deleted_at FROM models WHERE id = 'model-original'`).get()).toEqual({
      source: 'trained',
      codes_sha256: null,
      deleted_at: null
    })
    expect(db.prepare(`SELECT cell_key, metrics_json, backend_skipped_json FROM runs WHERE id = 'run-original'`).get()).toEqual({
      cell_key: '',
      metrics_json: '{"seconds":3.25,"testAccuracy":0.8125}',
      backend_skipped_json: null
    })
    m.close()
  })
})
