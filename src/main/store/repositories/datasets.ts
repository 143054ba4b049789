import type { Database } from 'better-sqlite3'
import type { DatasetSummary } from '@shared/api/contract'
import { appendLog } from '../audit-log'

interface DatasetRow {
  id: string
  name: string
  source: 'builtin' | 'imported'
  sha256: string
  num_classes: number
  input_shape_json: string
  created_at: number
  path: string | null
  bytes: number | null
  train_size: number | null
  test_size: number | null
  class_names_json: string | null
  description_json: string | null
  deleted_at: number | null
  runs: number
}

export interface ImportedDatasetRecord {
  id: string
  name: string
  sha256: string
  classNames: string[]
  inputShape: number[]
  trainSize: number
  testSize: number
  path: string
  bytes: number
  preprocessing: unknown
  source: unknown
  skipped: { path: string; reason: string }[]
}

/**
 * The datasets audits ran on: built-in ones (recorded by hash when first used) and imported ones
 * with their files in the data folder. A row stays when its files are deleted, for the audits that used it.
 */
export class DatasetsRepository {
  constructor(private readonly db: Database) {}

  /** Records a dataset (a built-in one, when an audit first uses it), refreshing its name and hash. */
  upsert(d: { id: string; name: string; source: 'builtin' | 'imported'; sha256: string; numClasses: number; inputShape: number[] }): void {
    this.db
      .prepare(
        `INSERT INTO datasets (id, name, source, sha256, num_classes, input_shape_json, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(id) DO UPDATE SET sha256 = excluded.sha256, name = excluded.name`
      )
      .run(d.id, d.name, d.source, d.sha256, d.numClasses, JSON.stringify(d.inputShape), Date.now())
  }

  /** Adds a dataset to the library, or brings back one deleted before, and logs the import. */
  addImported(d: ImportedDatasetRecord): DatasetSummary {
    this.db
      .prepare(
        `INSERT INTO datasets (id, name, source, sha256, num_classes, input_shape_json, created_at, path, bytes, train_size, test_size, class_names_json, description_json, deleted_at)
         VALUES (?, ?, 'imported', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)
         ON CONFLICT(id) DO UPDATE SET deleted_at = NULL, path = excluded.path, bytes = excluded.bytes, created_at = excluded.created_at`
      )
      .run(
        d.id,
        d.name,
        d.sha256,
        d.classNames.length,
        JSON.stringify(d.inputShape),
        Date.now(),
        d.path,
        d.bytes,
        d.trainSize,
        d.testSize,
        JSON.stringify(d.classNames),
        JSON.stringify({ preprocessing: d.preprocessing, source: d.source, skipped: d.skipped })
      )
    appendLog(this.db, 'imported', d.id, { what: 'dataset', name: d.name, sha256: d.sha256, skipped: d.skipped.length })
    return this.find(d.id)!
  }

  /** One dataset, whatever its state (built-in, deleted, known by hash only). */
  find(id: string): DatasetSummary | null {
    return this.read(id)[0] ?? null
  }

  /**
   * The dataset library: imported datasets not deleted and with files here (an audit imported from
   * a bundle may know its dataset by hash only).
   */
  listLibrary(): DatasetSummary[] {
    return this.read()
  }

  /** Stamps a dataset as deleted from the library; audits keep pointing at its row. */
  markDeleted(id: string): void {
    this.db.transaction(() => {
      this.db.prepare(`UPDATE datasets SET deleted_at = ? WHERE id = ?`).run(Date.now(), id)
      appendLog(this.db, 'deleted', id, { what: 'dataset' })
    })()
  }

  /** One dataset when `only` names it, else the library's. */
  private read(only?: string): DatasetSummary[] {
    const rows = this.db
      .prepare(
        `SELECT d.*, (SELECT COUNT(*) FROM runs r JOIN tasks t ON t.id = r.task_id WHERE t.dataset_id = d.id) AS runs
         FROM datasets d WHERE ${only ? 'd.id = ?' : "d.source = 'imported' AND d.deleted_at IS NULL AND d.path IS NOT NULL"} ORDER BY d.created_at DESC`
      )
      .all(...(only ? [only] : [])) as DatasetRow[]
    return rows.map((r) => {
      const description = r.description_json
        ? (JSON.parse(r.description_json) as { preprocessing: Record<string, unknown>; skipped: { path: string; reason: string }[] })
        : null
      return {
        id: r.id,
        name: r.name,
        source: r.source,
        sha256: r.sha256,
        // Built-in datasets store no class names: their classes are numbered.
        classNames: r.class_names_json
          ? (JSON.parse(r.class_names_json) as string[])
          : Array.from({ length: r.num_classes }, (_, i) => String(i)),
        inputShape: JSON.parse(r.input_shape_json) as number[],
        trainSize: r.train_size ?? 0,
        testSize: r.test_size ?? 0,
        bytes: r.bytes,
        preprocessing: description?.preprocessing ?? null,
        skipped: description?.skipped ?? [],
        createdAt: r.created_at,
        runs: r.runs,
        deletedAt: r.deleted_at
      }
    })
  }
}
