import type { App, Session, WebContents, WebPreferences } from 'electron'
import { RENDERER_CSP } from '../transport/csp'
import { APP_HOST, APP_SCHEME } from './app-protocol'

/**
 * The Electron hardening of the app, in one place. Every window gets these preferences; every
 * web contents is denied navigation, new windows and webviews; every session denies permissions
 * and any request that is not the app's own files.
 */
export function secureWebPreferences(preload: string): WebPreferences {
  return {
    preload,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    experimentalFeatures: false,
    webviewTag: false,
    spellcheck: false,
    // A middle click would otherwise open links in a new window (denied anyway, but never attempted).
    disableBlinkFeatures: 'Auxclick'
  }
}

/** The only origins the renderer may load from: app://renderer (the packaged files), or the dev server in development. */
export function isAppUrl(url: string, devServerUrl: string | undefined): boolean {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return false
  }
  if ((parsed.protocol === `${APP_SCHEME}:` && parsed.host === APP_HOST) || parsed.protocol === 'devtools:') return true
  if (devServerUrl) {
    const dev = new URL(devServerUrl)
    if (parsed.origin === dev.origin) return true
    if (parsed.protocol === 'ws:' && parsed.host === dev.host) return true
  }
  return false
}

export function hardenWebContents(contents: WebContents, devServerUrl: string | undefined): void {
  contents.setWindowOpenHandler(() => ({ action: 'deny' }))
  contents.on('will-navigate', (event, url) => {
    if (!isAppUrl(url, devServerUrl) || url !== contents.getURL()) event.preventDefault()
  })
  contents.on('will-redirect', (event) => event.preventDefault())
  contents.on('will-attach-webview', (event) => event.preventDefault())
}

export function hardenSession(session: Session, devServerUrl: string | undefined): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false))
  session.setPermissionCheckHandler(() => false)
  // Offline by design: anything that is not the app's own content never leaves the machine.
  session.webRequest.onBeforeRequest((details, callback) => callback({ cancel: !isAppUrl(details.url, devServerUrl) }))
  session.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [RENDERER_CSP] } })
  })
}

export function hardenApp(app: App, devServerUrl: string | undefined): void {
  app.enableSandbox()
  app.on('web-contents-created', (_event, contents) => hardenWebContents(contents, devServerUrl))
}
