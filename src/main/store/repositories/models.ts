import type { Database } from 'better-sqlite3'
import type { ModelSummary } from '@shared/api/contract'
import { appendLog } from '../audit-log'

interface ModelRow {
  id: string
  sha256: string
  arch: string
  path: string
  bytes: number
  parameter_count: number
  dataset_id: string
  created_at: number
  source: 'trained' | 'imported'
  name: string | null
  input_shape_json: string | null
  num_classes: number | null
  test_accuracy: number | null
  runs: number
  deleted_at: number | null
  codes_sha256: string | null
}

/**
 * Model files the app knows, by sha256 (a model's id is its hash): trained by a run or imported
 * into the library. A row stays when its files are deleted, so the runs that used it keep their record.
 */
export class ModelsRepository {
  constructor(private readonly db: Database) {}

  /** Records a model a run trained; the same weights trained twice are one row. Returns its id. */
  addTrained(m: {
    sha256: string
    arch: string
    path: string
    bytes: number
    parameterCount: number
    datasetId: string
    codesSha256: string | null
  }): string {
    this.db
      .prepare(
        `INSERT INTO models (id, sha256, arch, path, bytes, parameter_count, dataset_id, created_at, codes_sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(id) DO NOTHING`
      )
      .run(m.sha256, m.sha256, m.arch, m.path, m.bytes, m.parameterCount, m.datasetId, Date.now(), m.codesSha256)
    return m.sha256
  }

  /** Adds a model to the library, or brings back one deleted before, and logs the import. */
  addImported(m: {
    sha256: string
    name: string
    arch: string
    path: string
    bytes: number
    parameterCount: number
    datasetId: string
    inputShape: number[]
    numClasses: number
    testAccuracy: number | null
    codesSha256: string | null
  }): ModelSummary {
    this.db
      .prepare(
        `INSERT INTO models (id, sha256, arch, path, bytes, parameter_count, dataset_id, created_at, source, name, input_shape_json, num_classes, test_accuracy, codes_sha256)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'imported', ?, ?, ?, ?, ?)
         ON CONFLICT(id) DO UPDATE SET deleted_at = NULL, path = excluded.path, name = excluded.name, test_accuracy = excluded.test_accuracy, created_at = excluded.created_at, codes_sha256 = excluded.codes_sha256`
      )
      .run(
        m.sha256,
        m.sha256,
        m.arch,
        m.path,
        m.bytes,
        m.parameterCount,
        m.datasetId,
        Date.now(),
        m.name,
        JSON.stringify(m.inputShape),
        m.numClasses,
        m.testAccuracy,
        m.codesSha256
      )
    appendLog(this.db, 'imported', m.sha256, { what: 'model', name: m.name, datasetId: m.datasetId, testAccuracy: m.testAccuracy })
    return this.find(m.sha256)!
  }

  /** A model by its sha256 (its id), with where it came from and how many runs used it. */
  /** Records that an .onnx file (by its bytes' sha256) was imported for a dataset as the stored model `modelSha256`. */
  recordOnnxSource(onnxSha256: string, datasetId: string, modelSha256: string): void {
    this.db
      .prepare(`INSERT OR REPLACE INTO onnx_sources (onnx_sha256, dataset_id, model_sha256, created_at) VALUES (?, ?, ?, ?)`)
      .run(onnxSha256, datasetId, modelSha256, Date.now())
  }

  /** The model an .onnx file became for a dataset, while it is in the library (not deleted); else null. */
  fromOnnx(onnxSha256: string, datasetId: string): ModelSummary | null {
    const row = this.db
      .prepare(`SELECT model_sha256 FROM onnx_sources WHERE onnx_sha256 = ? AND dataset_id = ?`)
      .get(onnxSha256, datasetId) as { model_sha256: string } | undefined
    const model = row ? this.find(row.model_sha256) : null
    return model && !model.deletedAt ? model : null
  }

  find(sha256: string): ModelSummary | null {
    return this.read(sha256)[0] ?? null
  }

  /** Every model row, trained or imported, deleted or not (for verification and bundles). */
  listAll(): ModelSummary[] {
    return this.read(undefined, true)
  }

  /** The model library: imported models not deleted and with files here. */
  listLibrary(): ModelSummary[] {
    return this.read()
  }

  /** Where a model's files are, relative to the data folder. */
  pathOf(modelId: string): string | null {
    const row = this.db.prepare(`SELECT path FROM models WHERE id = ?`).get(modelId) as { path: string } | undefined
    return row?.path ?? null
  }

  /** Stamps a model as deleted from the library; runs keep pointing at its row. */
  markDeleted(sha256: string): void {
    this.db.transaction(() => {
      this.db.prepare(`UPDATE models SET deleted_at = ? WHERE id = ?`).run(Date.now(), sha256)
      appendLog(this.db, 'deleted', sha256, { what: 'model' })
    })()
  }

  /** One model when `only` names it, else every row (`all`) or the library's. */
  private read(only?: string, all = false): ModelSummary[] {
    // A model imported from a bundle without its files has path '': known by hash, not in the library.
    const where = only ? 'm.id = ?' : all ? '1' : "m.source = 'imported' AND m.deleted_at IS NULL AND m.path != ''"
    const rows = this.db
      .prepare(
        `SELECT m.*, (SELECT COUNT(*) FROM runs r WHERE r.input_model_id = m.id OR r.output_model_id = m.id) AS runs
         FROM models m WHERE ${where} ORDER BY m.created_at DESC`
      )
      .all(...(only ? [only] : [])) as ModelRow[]
    return rows.map((r) => ({
      sha256: r.sha256,
      name: r.name ?? r.arch,
      source: r.source,
      arch: r.arch,
      path: r.path,
      bytes: r.bytes,
      parameterCount: r.parameter_count,
      datasetId: r.dataset_id,
      inputShape: r.input_shape_json ? (JSON.parse(r.input_shape_json) as number[]) : null,
      numClasses: r.num_classes,
      testAccuracy: r.test_accuracy,
      createdAt: r.created_at,
      runs: r.runs,
      deletedAt: r.deleted_at,
      codesSha256: r.codes_sha256
    }))
  }
}
