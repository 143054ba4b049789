import type { Database } from 'better-sqlite3'
import { AttackScores } from '@shared/api/contract'

/** Each run's per-example membership scores (privacy evidence), one JSON document per run; and why a cell's attacks did not run. */
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

  /** Records why the attacks of one cell and seed did not run (replacing an earlier reason). */
  putFailure(taskId: string, where: { cellKey: string; seed: number }, error: string): void {
    this.db
      .prepare(`INSERT OR REPLACE INTO attack_failures (task_id, cell_key, seed, error, at) VALUES (?, ?, ?, ?, ?)`)
      .run(taskId, where.cellKey, where.seed, error, Date.now())
  }

  clearFailure(taskId: string, where: { cellKey: string; seed: number }): void {
    this.db.prepare(`DELETE FROM attack_failures WHERE task_id = ? AND cell_key = ? AND seed = ?`).run(taskId, where.cellKey, where.seed)
  }

  failureOf(taskId: string, where: { cellKey: string; seed: number }): string | null {
    const row = this.db
      .prepare(`SELECT error FROM attack_failures WHERE task_id = ? AND cell_key = ? AND seed = ?`)
      .get(taskId, where.cellKey, where.seed) as { error: string } | undefined
    return row?.error ?? null
  }
}
