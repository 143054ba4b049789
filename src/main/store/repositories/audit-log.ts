import type { Database } from 'better-sqlite3'
import { appendLog, type LogEntry, type LogKind } from '../audit-log'

/**
 * Reading the chained audit log, and the one entry no other repository writes: an export. Every
 * other entry is appended by the repository whose change it records, inside that change's transaction.
 */
export class AuditLogRepository {
  constructor(private readonly db: Database) {}

  /** Every entry, in order, for `verify` to check the chain. */
  entries(): LogEntry[] {
    const rows = this.db.prepare(`SELECT * FROM audit_log ORDER BY seq`).all() as Array<{
      seq: number
      at: number
      kind: LogKind
      subject: string
      payload_json: string
      prev_hash: string
      hash: string
    }>
    return rows.map((r) => ({
      seq: r.seq,
      at: r.at,
      kind: r.kind,
      subject: r.subject,
      payload: JSON.parse(r.payload_json) as Record<string, unknown>,
      prevHash: r.prev_hash,
      hash: r.hash
    }))
  }

  /** The latest entry, which a report cites so a reader can check the log has not been rewritten since. */
  head(): { seq: number; hash: string } | null {
    return (
      (this.db.prepare(`SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1`).get() as { seq: number; hash: string } | undefined) ??
      null
    )
  }

  /** Records that a report or a bundle left the app, with its hash. */
  recordExport(taskId: string, file: { sha256: string; bytes: number }, what: 'report' | 'bundle' = 'report'): void {
    appendLog(
      this.db,
      'exported',
      taskId,
      what === 'report' ? { reportSha256: file.sha256, bytes: file.bytes } : { what, sha256: file.sha256, bytes: file.bytes }
    )
  }
}
