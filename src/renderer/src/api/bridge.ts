import type { Envelope } from '@shared/api/contract'

/** What the renderer needs from a transport: the preload in Electron, a WebSocket in a browser. */
export interface ApiBridge {
  invoke(channel: string, input: unknown): Promise<Envelope<unknown>>
  onEvent(listener: (channel: string, payload: unknown) => void): () => void
}

/**
 * The loopback transport: same contract, carried as JSON over ws://127.0.0.1 with the page's token.
 * It needs only the page's host and query (and a WebSocket), so tests drive it from Node too.
 */
export function webSocketBridge(location: { host: string; search: string }): ApiBridge {
  const token = new URLSearchParams(location.search).get('token') ?? ''
  const socket = new WebSocket(`ws://${location.host}/api?token=${encodeURIComponent(token)}`)
  const opened = new Promise<void>((resolve, reject) => {
    socket.addEventListener('open', () => resolve(), { once: true })
    socket.addEventListener(
      'error',
      () => reject(new Error('Cannot reach the app server (is `npm run serve` running, and is the token in the address?)')),
      { once: true }
    )
  })
  const pending = new Map<number, (e: Envelope<unknown>) => void>()
  const listeners = new Set<(channel: string, payload: unknown) => void>()
  let nextId = 1
  socket.addEventListener('message', (m) => {
    const msg = JSON.parse(String(m.data)) as { id?: number; envelope?: Envelope<unknown>; event?: string; payload?: unknown }
    if (msg.event) for (const l of listeners) l(msg.event, msg.payload)
    else if (typeof msg.id === 'number' && msg.envelope) {
      pending.get(msg.id)?.(msg.envelope)
      pending.delete(msg.id)
    }
  })
  socket.addEventListener('close', () => {
    for (const resolve of pending.values())
      resolve({ ok: false, error: { code: 'INTERNAL', message: 'The connection to the app server closed' } })
    pending.clear()
  })
  return {
    async invoke(channel, input) {
      await opened
      const id = nextId++
      return new Promise((resolve) => {
        pending.set(id, resolve)
        socket.send(JSON.stringify({ id, channel, input }))
      })
    },
    onEvent(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    }
  }
}
