import type { EventChannel } from '../../shared/api/channels'
import { EVENTS } from '../../shared/api/contract'
import type { Services } from '../services'
import { CHECK_OUTPUTS, outputProblem } from './output-check'

/** Forwards the audit service's events to a transport (Electron webContents or the WebSocket). */
export function forwardEvents(s: Services, sendRaw: (channel: EventChannel, payload: unknown) => void): () => void {
  const send = (channel: EventChannel, payload: unknown) => {
    const problem = CHECK_OUTPUTS ? outputProblem(EVENTS[channel], payload) : null
    // An event is fire-and-forget: a malformed one is reported loudly and not sent.
    if (problem) process.stderr.write(`api event ${channel} does not fit the contract: ${problem}\n`)
    else sendRaw(channel, payload)
  }
  const offAudits = s.audits.on({
    progress: (p) => send('audit:progress', p),
    changed: (c) => send('audit:changed', c)
  })
  const offLibrary = s.library.onProgress((p) => send('library:progress', p))
  return () => {
    offAudits()
    offLibrary()
  }
}
