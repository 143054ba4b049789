import type { Database } from 'better-sqlite3'

export interface StoredSplit {
  cellKey: string
  seed: number
  kind: string
  count: number
  sha256: string
  indices: Int32Array
}

/**
 * The forget (and corrupted) index lists of an audit, one per (task, cell, seed, kind), stored as
 * packed int32 so a report or bundle can show exactly which samples a run forgot.
 */
export class SplitsRepository {
  constructor(private readonly db: Database) {}

  /** Stores an index list once per (task, cell, seed, kind); an identical list is kept, a different one refused. */
  put(s: { taskId: string; cellKey?: string; seed: number; kind: 'forget' | 'corrupted'; sha256: string; indices: number[] }): void {
    const cellKey = s.cellKey ?? ''
    const existing = this.db
      .prepare(`SELECT sha256 FROM splits WHERE task_id = ? AND cell_key = ? AND seed = ? AND kind = ?`)
      .get(s.taskId, cellKey, s.seed, s.kind) as { sha256: string } | undefined
    if (existing) {
      if (existing.sha256 !== s.sha256)
        throw new Error(`The ${s.kind} set of seed ${s.seed} changed between runs (${existing.sha256} vs ${s.sha256})`)
      return
    }
    const bytes = Buffer.from(Int32Array.from(s.indices).buffer)
    this.db
      .prepare(`INSERT INTO splits (task_id, cell_key, seed, kind, count, sha256, indices) VALUES (?, ?, ?, ?, ?, ?, ?)`)
      .run(s.taskId, cellKey, s.seed, s.kind, s.indices.length, s.sha256, bytes)
  }

  list(taskId: string): StoredSplit[] {
    const rows = this.db
      .prepare(`SELECT cell_key AS cellKey, seed, kind, count, sha256, indices FROM splits WHERE task_id = ? ORDER BY cell_key, seed, kind`)
      .all(taskId) as Array<Omit<StoredSplit, 'indices'> & { indices: Buffer }>
    // Copied out of the Buffer: its offset into a shared pool need not be aligned for an Int32Array.
    return rows.map((r) => ({
      ...r,
      indices: new Int32Array(r.indices.buffer.slice(r.indices.byteOffset, r.indices.byteOffset + r.indices.byteLength))
    }))
  }
}
