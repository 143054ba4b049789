import type { Database } from 'better-sqlite3'
import { type TuningRecord, TuningRecordSchema } from '@shared/tuning'

/** Each tuned run's trials and the one kept (migration 15). */
export class TuningTrialsRepository {
  constructor(private readonly db: Database) {}

  put(runId: string, record: TuningRecord): void {
    this.db.prepare(`INSERT OR REPLACE INTO tuning_trials (run_id, record_json) VALUES (?, ?)`).run(runId, JSON.stringify(record))
  }

  /** The records of the given runs that were tuned, re-checked as they are read back. */
  forRuns(runIds: string[]): Map<string, TuningRecord> {
    const read = this.db.prepare(`SELECT record_json FROM tuning_trials WHERE run_id = ?`)
    const out = new Map<string, TuningRecord>()
    for (const id of runIds) {
      const row = read.get(id) as { record_json: string } | undefined
      if (row) out.set(id, TuningRecordSchema.parse(JSON.parse(row.record_json)))
    }
    return out
  }
}
