import { randomBytes, timingSafeEqual } from 'node:crypto'
import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { WebSocketServer, type WebSocket } from 'ws'
import { z } from 'zod'
import type { EventChannel } from '@shared/api/channels'
import type { Dispatch } from '../api/router'
import { serveStatic } from './static-files'

/**
 * The same API contract as Electron IPC, over a WebSocket on 127.0.0.1, so the renderer also runs
 * in a plain browser. Only a page from this server's own origin holding the random token connects.
 */
export interface LoopbackServer {
  url: string
  port: number
  token: string
  broadcast(channel: EventChannel, payload: unknown): void
  close(): Promise<void>
}

const Request = z.object({ id: z.number().int(), channel: z.string().max(100), input: z.unknown() }).strict()
const MAX_MESSAGE_BYTES = 4 * 1024 * 1024

function tokenMatches(expected: string, given: string | null): boolean {
  if (!given) return false
  const a = Buffer.from(expected)
  const b = Buffer.from(given)
  return a.length === b.length && timingSafeEqual(a, b)
}

export async function startLoopbackServer(o: { dispatch: Dispatch; rendererDir: string; port?: number }): Promise<LoopbackServer> {
  const token = randomBytes(24).toString('hex')
  const http = createServer((req, res) => serveStatic(o.rendererDir, req, res))
  await new Promise<void>((resolve) => http.listen(o.port ?? 0, '127.0.0.1', resolve))
  const port = (http.address() as AddressInfo).port
  const origin = `http://127.0.0.1:${port}`
  const allowed = (req: IncomingMessage) => {
    const url = new URL(req.url ?? '/', origin)
    return url.pathname === '/api' && req.headers.origin === origin && tokenMatches(token, url.searchParams.get('token'))
  }
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES })
  http.on('upgrade', (req, socket, head) => {
    if (!allowed(req)) {
      socket.end('HTTP/1.1 403 Forbidden\r\n\r\n')
      return
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req))
  })
  wss.on('connection', (ws: WebSocket) => {
    ws.on('message', async (data) => {
      let parsed: z.infer<typeof Request>
      try {
        parsed = Request.parse(JSON.parse(String(data)))
      } catch {
        ws.send(JSON.stringify({ id: null, envelope: { ok: false, error: { code: 'VALIDATION', message: 'Malformed request' } } }))
        return
      }
      const envelope = await o.dispatch(parsed.channel, parsed.input)
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ id: parsed.id, envelope }))
    })
  })
  return {
    url: `${origin}/?token=${token}`,
    port,
    token,
    broadcast: (channel, payload) => {
      const message = JSON.stringify({ event: channel, payload })
      for (const client of wss.clients) if (client.readyState === client.OPEN) client.send(message)
    },
    close: async () => {
      for (const client of wss.clients) client.terminate()
      await new Promise<void>((resolve) => wss.close(() => resolve()))
      await new Promise<void>((resolve) => http.close(() => resolve()))
    }
  }
}
