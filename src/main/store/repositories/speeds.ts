import type { Database } from 'better-sqlite3'
import { architectureLabel } from '@shared/task-spec'

export interface MeasuredRun {
  method: string
  params: Record<string, unknown>
  /** The architecture trained with its width where not 1 (`resnet-18 ×0.25`), or null for a given (imported) model. */
  arch: string | null
  /** The audit's training epochs, which settings left out inherit. */
  trainEpochs: number
  trainCount: number
  seconds: number
  /** The run measured a cached model instead of training one. */
  reused: boolean
}

/** What finished runs cost on this machine, read for the estimate shown before an audit starts. */
export class SpeedsRepository {
  constructor(private readonly db: Database) {}

  /**
   * The latest finished runs with their seconds: per run, its method, the two facts of its audit's
   * spec that price it (architecture and width, epochs), how many training samples it saw and its seconds.
   */
  history(limit = 2000): MeasuredRun[] {
    const rows = this.db
      .prepare(
        `SELECT r.method, r.params_json, json_extract(t.spec_json, '$.model.arch') AS arch, COALESCE(json_extract(r.cell_json, '$.width'), json_extract(t.spec_json, '$.model.width')) AS width, json_extract(t.spec_json, '$.train.epochs') AS train_epochs, r.forget_count + r.retain_count AS train_count, s.value AS seconds, u.value AS reused
         FROM runs r JOIN tasks t ON t.id = r.task_id
         JOIN metrics s ON s.run_id = r.id AND s.name = 'seconds'
         LEFT JOIN metrics u ON u.run_id = r.id AND u.name = 'reusedModel'
         WHERE r.status = 'done' AND s.value IS NOT NULL AND r.forget_count IS NOT NULL
         ORDER BY r.ended_at DESC LIMIT ?`
      )
      .all(limit) as Array<{
      method: string
      params_json: string
      arch: string | null
      width: number | null
      train_epochs: number
      train_count: number
      seconds: number
      reused: number | null
    }>
    return rows.map((r) => ({
      method: r.method,
      params: JSON.parse(r.params_json) as Record<string, unknown>,
      arch: architectureLabel({ arch: r.arch, width: r.width }),
      trainEpochs: r.train_epochs,
      trainCount: r.train_count,
      seconds: r.seconds,
      reused: r.reused === 1
    }))
  }
}
