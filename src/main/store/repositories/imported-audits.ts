import type { Database } from 'better-sqlite3'
import type { AttackScores, DatasetSummary, ModelSummary, RunRecord, TaskSummary } from '@shared/api/contract'
import type { TuningRecord } from '@shared/tuning'
import { appendLog, metricsSha256 } from '../audit-log'
import { writeRunMetrics } from '../run-metrics'
import { auditVerdict } from './tasks'

/** An audit made by another copy, as its bundle carries it. */
export interface ImportedAudit {
  task: TaskSummary
  runs: RunRecord[]
  splits: Array<{ cellKey: string; seed: number; kind: 'forget' | 'corrupted'; count: number; sha256: string; indices: number[] }>
  dataset: DatasetSummary | null
  models: Array<Omit<ModelSummary, 'path' | 'runs' | 'deletedAt'>>
  attackScores?: Record<string, AttackScores>
  tuningTrials?: Record<string, TuningRecord>
  origin: NonNullable<TaskSummary['origin']>
}

/** Audits brought in from bundles, stored as the copy that exported them had them. */
export class ImportedAuditsRepository {
  constructor(private readonly db: Database) {}

  /**
   * Stores an imported audit with its ids, statuses and metrics exactly as the other copy had them,
   * so its content hash recomputes here, in one transaction with its log entry. A dataset or model
   * whose files did not come along is recorded by hash only: path NULL (dataset) or '' (model).
   */
  insert(a: ImportedAudit, modelPaths: Map<string, string>): void {
    const db = this.db
    const now = Date.now()
    db.transaction(() => {
      const hasDataset = db.prepare(`SELECT 1 FROM datasets WHERE id = ?`).get(a.task.datasetId)
      if (!hasDataset) {
        const d = a.dataset
        db.prepare(
          `INSERT INTO datasets (id, name, source, sha256, num_classes, input_shape_json, created_at, path, bytes, train_size, test_size, class_names_json, description_json)
           VALUES (?, ?, 'imported', ?, ?, ?, ?, NULL, NULL, ?, ?, ?, ?)`
        ).run(
          a.task.datasetId,
          d?.name ?? a.task.datasetId,
          a.task.datasetSha256,
          d?.classNames.length ?? 0,
          JSON.stringify(d?.inputShape ?? []),
          now,
          d?.trainSize ?? null,
          d?.testSize ?? null,
          d ? JSON.stringify(d.classNames) : null,
          d ? JSON.stringify({ preprocessing: d.preprocessing, source: { bundle: a.origin.bundleSha256 }, skipped: d.skipped }) : null
        )
      }
      const datasetExists = db.prepare(`SELECT 1 FROM datasets WHERE id = ?`)
      const putModel = db.prepare(
        `INSERT INTO models (id, sha256, arch, path, bytes, parameter_count, dataset_id, created_at, source, name, input_shape_json, num_classes, test_accuracy, codes_sha256)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(id) DO UPDATE SET path = CASE WHEN models.path = '' THEN excluded.path ELSE models.path END`
      )
      for (const m of a.models) {
        const datasetId = datasetExists.get(m.datasetId) ? m.datasetId : a.task.datasetId
        putModel.run(
          m.sha256,
          m.sha256,
          m.arch,
          modelPaths.get(m.sha256) ?? '',
          m.bytes,
          m.parameterCount,
          datasetId,
          now,
          m.source,
          m.source === 'imported' ? m.name : null,
          m.inputShape ? JSON.stringify(m.inputShape) : null,
          m.numClasses,
          m.testAccuracy,
          m.codesSha256
        )
      }
      db.prepare(
        `INSERT INTO tasks (id, name, spec_json, spec_sha256, dataset_id, created_at, origin_json, verdict, shard_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`
      ).run(
        a.task.id,
        a.task.name,
        JSON.stringify(a.task.spec),
        a.task.specSha256,
        a.task.datasetId,
        a.task.createdAt,
        JSON.stringify(a.origin),
        // Written here from the imported runs, not taken from the bundle: the content hash does not cover it.
        auditVerdict(a.runs, a.task.spec),
        // A shard's bundle stays marked as that shard, for a merge to read.
        a.task.shard ? JSON.stringify(a.task.shard) : null
      )
      const putRun = db.prepare(
        `INSERT INTO runs (id, task_id, method, params_json, seed, status, backend, backend_skipped_json, input_model_id, output_model_id, forget_count, retain_count, forget_sha256, steps, error, position, created_at, started_at, ended_at, cell_key, cell_json, replica)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
      )
      a.runs.forEach((r, position) => {
        putRun.run(
          r.id,
          a.task.id,
          r.method,
          JSON.stringify(r.params),
          r.seed,
          r.status,
          r.backend,
          JSON.stringify(r.backendSkipped ?? []),
          r.inputModelSha256,
          r.outputModelSha256,
          r.forgetCount,
          r.retainCount,
          r.forgetSha256,
          r.steps,
          r.error,
          position,
          r.createdAt,
          r.startedAt,
          r.endedAt,
          r.cellKey,
          r.cell ? JSON.stringify(r.cell) : null,
          r.replica
        )
        writeRunMetrics(db, r.id, r.metrics)
        const scores = a.attackScores?.[r.id]
        if (scores) db.prepare(`INSERT INTO attack_scores (run_id, scores_json) VALUES (?, ?)`).run(r.id, JSON.stringify(scores))
        const trials = a.tuningTrials?.[r.id]
        if (trials) db.prepare(`INSERT INTO tuning_trials (run_id, record_json) VALUES (?, ?)`).run(r.id, JSON.stringify(trials))
      })
      const putSplit = db.prepare(`INSERT INTO splits (task_id, cell_key, seed, kind, count, sha256, indices) VALUES (?, ?, ?, ?, ?, ?, ?)`)
      for (const s of a.splits)
        putSplit.run(a.task.id, s.cellKey, s.seed, s.kind, s.count, s.sha256, Buffer.from(Int32Array.from(s.indices).buffer))
      // The runs' hashes as imported: verify compares the stored metrics with these from now on.
      appendLog(db, 'imported', a.task.id, {
        what: 'audit',
        name: a.task.name,
        bundleSha256: a.origin.bundleSha256,
        contentHash: a.origin.contentHash,
        runs: a.runs.map((r) => ({
          id: r.id,
          status: r.status,
          outputModelSha256: r.outputModelSha256,
          metricsSha256: metricsSha256(r.metrics)
        }))
      })
    })()
  }
}
