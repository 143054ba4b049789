import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Session, WebContents } from 'electron'
import { afterAll, describe, expect, it } from 'vitest'
import { APP_ENTRY, appProtocolResponse } from '@main/electron/app-protocol'
import { hardenSession, hardenWebContents, isAppUrl, secureWebPreferences } from '@main/electron/security'
import { RENDERER_CSP } from '@main/transport/csp'
import { makeTempDir } from '../helpers/tmp'

const tmp = makeTempDir('security')
afterAll(tmp.cleanup)

type Handler = (...args: never[]) => unknown

/** A stand-in for Electron's objects that records the handlers the app installs. */
function recorder() {
  const handlers = new Map<string, Handler>()
  const record = (name: string) => (fn: Handler) => void handlers.set(name, fn)
  return { handlers, record }
}

describe('the Electron hardening', () => {
  it('gives every window an isolated, sandboxed renderer without Node', () => {
    expect(secureWebPreferences('/app/preload.js')).toMatchObject({
      preload: '/app/preload.js',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      disableBlinkFeatures: 'Auxclick'
    })
  })

  it('takes only app://renderer (and the dev server in development) for the app, never file://', () => {
    expect(isAppUrl(APP_ENTRY, undefined)).toBe(true)
    expect(isAppUrl('app://renderer/assets/index.js', undefined)).toBe(true)
    for (const url of [
      'file:///etc/passwd',
      'app://other/index.html',
      'https://example.com/',
      'http://127.0.0.1:5173/',
      'not a url',
      'javascript:alert(1)'
    ])
      expect(isAppUrl(url, undefined), url).toBe(false)
    expect(isAppUrl('http://127.0.0.1:5173/src/main.ts', 'http://127.0.0.1:5173')).toBe(true)
    expect(isAppUrl('ws://127.0.0.1:5173/', 'http://127.0.0.1:5173')).toBe(true)
    expect(isAppUrl('http://127.0.0.1:5174/', 'http://127.0.0.1:5173')).toBe(false)
  })

  it('denies new windows, navigation away, redirects and webviews', () => {
    const { handlers, record } = recorder()
    const contents = {
      setWindowOpenHandler: record('open'),
      on: (event: string, fn: Handler) => handlers.set(event, fn),
      getURL: () => APP_ENTRY
    } as unknown as WebContents
    hardenWebContents(contents, undefined)
    expect((handlers.get('open') as () => unknown)()).toEqual({ action: 'deny' })
    const prevented = (event: string, url?: string) => {
      let stopped = false
      ;(handlers.get(event) as (e: { preventDefault: () => void }, url?: string) => void)({ preventDefault: () => (stopped = true) }, url)
      return stopped
    }
    expect(prevented('will-navigate', 'https://example.com/')).toBe(true)
    expect(prevented('will-navigate', 'app://renderer/other.html')).toBe(true)
    expect(prevented('will-navigate', APP_ENTRY)).toBe(false)
    expect(prevented('will-redirect', APP_ENTRY)).toBe(true)
    expect(prevented('will-attach-webview')).toBe(true)
  })

  it('denies every permission, cancels every request that is not the app, and sends the CSP as a header', () => {
    const { handlers, record } = recorder()
    const session = {
      setPermissionRequestHandler: record('permission'),
      setPermissionCheckHandler: record('check'),
      webRequest: { onBeforeRequest: record('request'), onHeadersReceived: record('headers') }
    } as unknown as Session
    hardenSession(session, undefined)
    let granted: boolean | undefined
    ;(handlers.get('permission') as (c: unknown, p: string, cb: (ok: boolean) => void) => void)(null, 'media', (ok) => (granted = ok))
    expect(granted).toBe(false)
    expect((handlers.get('check') as () => boolean)()).toBe(false)
    const cancelled = (url: string) => {
      let answer: { cancel: boolean } | undefined
      ;(handlers.get('request') as (d: { url: string }, cb: (r: { cancel: boolean }) => void) => void)({ url }, (r) => (answer = r))
      return answer!.cancel
    }
    expect(cancelled(APP_ENTRY)).toBe(false)
    for (const url of ['https://example.com/x.js', 'http://10.0.0.1/', 'file:///etc/passwd', 'ws://example.com/'])
      expect(cancelled(url), url).toBe(true)
    let headers: Record<string, string[]> | undefined
    ;(
      handlers.get('headers') as (
        d: { responseHeaders: Record<string, string[]> },
        cb: (r: { responseHeaders: Record<string, string[]> }) => void
      ) => void
    )({ responseHeaders: { 'x-a': ['1'] } }, (r) => (headers = r.responseHeaders))
    expect(headers).toEqual({ 'x-a': ['1'], 'Content-Security-Policy': [RENDERER_CSP] })
  })

  it('serves app:// from the renderer folder only, with the CSP', async () => {
    const renderer = join(tmp.dir, 'renderer')
    mkdirSync(join(renderer, 'assets'), { recursive: true })
    writeFileSync(join(renderer, 'index.html'), '<!doctype html>')
    writeFileSync(join(renderer, 'assets', 'app.js'), 'export {}')
    writeFileSync(join(tmp.dir, 'secret.txt'), 'secret')
    symlinkSync(join(tmp.dir, 'secret.txt'), join(renderer, 'link.txt'))

    const index = await appProtocolResponse(APP_ENTRY, renderer)
    expect(index.status).toBe(200)
    expect(index.headers.get('content-security-policy')).toBe(RENDERER_CSP)
    expect(await index.text()).toBe('<!doctype html>')
    expect((await appProtocolResponse('app://renderer/assets/app.js', renderer)).headers.get('content-type')).toMatch(/javascript/)
    for (const url of [
      'app://renderer/../secret.txt',
      'app://renderer/%2e%2e/secret.txt',
      'app://renderer/assets/%2e%2e%2f%2e%2e%2fsecret.txt',
      'app://renderer/link.txt',
      'app://renderer/assets',
      'app://other/index.html',
      'app://renderer/missing.js'
    ]) {
      const r = await appProtocolResponse(url, renderer)
      expect(r.status, url).toBe(404)
    }
  })
})
