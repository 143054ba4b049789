import type { Database } from 'better-sqlite3'
import { createHash } from 'node:crypto'
import { canonicalJson } from '@shared/canonical-json'

export type LogKind = 'created' | 'started' | 'finished' | 'measured' | 'exported' | 'imported' | 'deleted'

export interface LogEntry {
  seq: number
  at: number
  kind: LogKind
  subject: string
  payload: Record<string, unknown>
  prevHash: string
  hash: string
}

/** The hash the first entry chains to. */
export const GENESIS = '0'.repeat(64)

/** An entry's hash covers the previous hash and every field of the entry, in canonical JSON. */
export function entryHash(prevHash: string, e: { seq: number; at: number; kind: string; subject: string; payload: unknown }): string {
  return createHash('sha256')
    .update(prevHash)
    .update('\n')
    .update(canonicalJson({ seq: e.seq, at: e.at, kind: e.kind, subject: e.subject, payload: e.payload }))
    .digest('hex')
}

/** sha256 of a run's metrics as the store returns them, so a logged hash can be recomputed from the rows. */
export function metricsSha256(metrics: Record<string, unknown>): string {
  return createHash('sha256').update(canonicalJson(metrics)).digest('hex')
}

/**
 * Appends to the chained log. Only the repositories call it, inside the transaction of the change
 * an entry records, so an entry exists exactly when that change was committed.
 */
export function appendLog(db: Database, kind: LogKind, subject: string, payload: Record<string, unknown>): void {
  const last = db.prepare(`SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1`).get() as { seq: number; hash: string } | undefined
  const entry = { seq: (last?.seq ?? 0) + 1, at: Date.now(), kind, subject, payload }
  // Stored as canonical JSON, so parsing and re-serialising gives back the hashed text.
  const payloadJson = canonicalJson(payload)
  const prevHash = last?.hash ?? GENESIS
  db.prepare(`INSERT INTO audit_log (seq, at, kind, subject, payload_json, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?)`).run(
    entry.seq,
    entry.at,
    kind,
    subject,
    payloadJson,
    prevHash,
    entryHash(prevHash, { ...entry, payload: JSON.parse(payloadJson) })
  )
}

/** Where the chain breaks: an entry whose link or own hash does not recompute, or a gap in the sequence. */
export function chainBreaks(entries: LogEntry[]): Array<{ seq: number; reason: string }> {
  const breaks: Array<{ seq: number; reason: string }> = []
  let prev = GENESIS
  entries.forEach((e, i) => {
    if (e.seq !== i + 1) breaks.push({ seq: e.seq, reason: `entry ${i + 1} is missing (the next is ${e.seq})` })
    if (e.prevHash !== prev) breaks.push({ seq: e.seq, reason: 'does not link to the entry before it' })
    if (entryHash(e.prevHash, e) !== e.hash) breaks.push({ seq: e.seq, reason: 'its content no longer matches its hash' })
    prev = e.hash
  })
  return breaks
}
