import type { Database } from 'better-sqlite3'
import { AttackScores } from '@shared/api/contract'

/** Each run's per-example membership scores (privacy evidence), one JSON document per run. */
export class AttackScoresRepository {
  constructor(private readonly db: Database) {}

  put(runId: string, scores: AttackScores): void {
    this.db.prepare(`INSERT OR REPLACE INTO attack_scores (run_id, scores_json) VALUES (?, ?)`).run(runId, JSON.stringify(scores))
  }

  /** The scores of the given runs that have any, re-checked as they are read back. */
  forRuns(runIds: string[]): Map<string, AttackScores> {
    const read = this.db.prepare(`SELECT scores_json FROM attack_scores WHERE run_id = ?`)
    const out = new Map<string, AttackScores>()
    for (const id of runIds) {
      const row = read.get(id) as { scores_json: string } | undefined
      if (row) out.set(id, AttackScores.parse(JSON.parse(row.scores_json)))
    }
    return out
  }
}
