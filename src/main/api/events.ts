import type { EventChannel } from '@shared/api/channels'
import { type AuditChange, EVENTS, type EventPayload, type RunRecord, type TaskSummary } from '@shared/api/contract'
import type { Services } from '../services'
import { CHECK_OUTPUTS, outputProblem } from './output-check'

/**
 * The records an `audit:changed` event carries, read as the `audits:list` and `audits:runs` handlers read
 * them, so a record in an event equals the one a handler returns. Every store read of this file is here.
 */
function changedRecords(s: Services, c: AuditChange): { task: TaskSummary | null; run: RunRecord | null } {
  const stored = s.store.tasks.get(c.taskId)
  // As audits:list: only the audit service knows whether the audit executes now.
  const task = stored && { ...stored, active: s.audits.isActive(stored.id) }
  // The runs repository reads one run as it reads an audit's list for audits:runs (one row mapping).
  const run = c.runId === null ? null : s.store.runs.get(c.runId)
  return { task, run }
}

/** The service's change with the task and run it touched, or null (said on stderr) when they cannot be read. */
function changedEvent(s: Services, c: AuditChange): EventPayload<'audit:changed'> | null {
  try {
    const { task, run } = changedRecords(s, c)
    if (task && (run || c.runId === null)) return { ...c, task, run }
    process.stderr.write(`api event audit:changed not sent: ${task ? `no run ${c.runId}` : `no audit ${c.taskId}`} in the store\n`)
  } catch (err) {
    // Called inside the audit service's emit: a failed read must not stop the audit.
    process.stderr.write(`api event audit:changed not sent: ${(err as Error).message}\n`)
  }
  return null
}

/** Forwards the audit service's events to a transport (Electron webContents or the WebSocket). */
export function forwardEvents(s: Services, sendRaw: (channel: EventChannel, payload: unknown) => void): () => void {
  const send = <E extends EventChannel>(channel: E, payload: EventPayload<E>) => {
    const problem = CHECK_OUTPUTS ? outputProblem(EVENTS[channel], payload) : null
    // An event is fire-and-forget: a malformed one is reported loudly and not sent.
    if (problem) process.stderr.write(`api event ${channel} does not fit the contract: ${problem}\n`)
    else sendRaw(channel, payload)
  }
  const offAudits = s.audits.on({
    progress: (p) => send('audit:progress', p),
    changed: (c) => {
      // Read at once, in the emit that follows the store's write: the records are the state this change made.
      const event = changedEvent(s, c)
      if (event) send('audit:changed', event)
    }
  })
  const offLibrary = s.library.onProgress((p) => send('library:progress', p))
  return () => {
    offAudits()
    offLibrary()
  }
}
