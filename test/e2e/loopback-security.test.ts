import { WebSocket } from 'ws'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServedApp } from '../helpers/served-app'
import { makeTempDir } from '../helpers/tmp'

const tmp = makeTempDir('loopback')
let app: Awaited<ReturnType<typeof startServedApp>>
beforeAll(async () => {
  app = await startServedApp(tmp.dir)
})
afterAll(async () => {
  await app.stop()
  tmp.cleanup()
})

function connect(path: string, origin: string): Promise<{ opened: boolean; ws: WebSocket }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${app.server.port}${path}`, { origin })
    ws.on('open', () => resolve({ opened: true, ws }))
    ws.on('error', () => resolve({ opened: false, ws }))
  })
}

describe('loopback transport', () => {
  const origin = () => `http://127.0.0.1:${app.server.port}`

  it('binds 127.0.0.1 only', () => {
    expect(app.server.url.startsWith('http://127.0.0.1:')).toBe(true)
  })

  it('refuses a connection without the token, with a wrong token, or from another origin', async () => {
    expect((await connect('/api', origin())).opened).toBe(false)
    expect((await connect('/api?token=wrong', origin())).opened).toBe(false)
    expect((await connect(`/api?token=${app.server.token}`, 'http://evil.example')).opened).toBe(false)
  })

  it('serves the contract to the page origin with the token, and validates every message', async () => {
    const { opened, ws } = await connect(`/api?token=${app.server.token}`, origin())
    expect(opened).toBe(true)
    const reply = (msg: string) => new Promise<any>((resolve) => (ws.once('message', (d) => resolve(JSON.parse(String(d)))), ws.send(msg)))
    expect(await reply(JSON.stringify({ id: 1, channel: 'app:info', input: {} }))).toMatchObject({
      id: 1,
      envelope: { ok: true, value: { version: expect.any(String) } }
    })
    expect(await reply('not json')).toMatchObject({ envelope: { ok: false, error: { code: 'VALIDATION' } } })
    expect(await reply(JSON.stringify({ id: 2, channel: 'audits:runs', input: { taskId: 'missing' } }))).toMatchObject({
      id: 2,
      envelope: { ok: false, error: { code: 'NOT_FOUND' } }
    })
    expect(await reply(JSON.stringify({ id: 3, channel: 'audits:start', input: { spec: { name: 'x' } } }))).toMatchObject({
      id: 3,
      envelope: { ok: false, error: { code: 'VALIDATION' } }
    })
    ws.close()
  })

  it('does not serve files outside the renderer folder', async () => {
    const res = await fetch(`${origin()}/..%2F..%2Fpackage.json`)
    expect(res.status).toBe(404)
    const index = await fetch(`${origin()}/`)
    expect(index.headers.get('content-security-policy')).toContain("default-src 'none'")
  })
})
