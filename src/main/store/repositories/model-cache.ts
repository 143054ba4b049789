import type { Database } from 'better-sqlite3'

/**
 * Trained models by content key (what was trained, from what, how), so an original or a retrain
 * that another audit already trained is measured again instead of trained again.
 */
export class ModelCacheRepository {
  constructor(private readonly db: Database) {}

  /** The model cached under a content key, if its files are still known. */
  find(key: string): { id: string; path: string } | null {
    const row = this.db.prepare(`SELECT m.id, m.path FROM model_cache c JOIN models m ON m.id = c.model_id WHERE c.key = ?`).get(key) as
      { id: string; path: string } | undefined
    return row ?? null
  }

  put(key: string, modelId: string): void {
    this.db.prepare(`INSERT OR REPLACE INTO model_cache (key, model_id, created_at) VALUES (?, ?, ?)`).run(key, modelId, Date.now())
  }
}
