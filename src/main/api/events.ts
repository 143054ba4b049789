import type { EventChannel } from '../../shared/api/channels'
import type { Services } from '../services'

/** Forwards the audit service's events to a transport (Electron webContents or the WebSocket). */
export function forwardEvents(s: Services, send: (channel: EventChannel, payload: unknown) => void): () => void {
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
