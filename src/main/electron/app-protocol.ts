import type { CustomScheme, Protocol } from 'electron'
import { readFile } from 'node:fs/promises'
import { RENDERER_HEADERS, resolveRendererFile } from '../transport/static-files'

/**
 * The packaged renderer is served from `app://renderer/`, never `file://`: a file URL would give
 * the page the whole disk as its origin. Only files inside the renderer folder are answered.
 */
export const APP_SCHEME = 'app'
export const APP_HOST = 'renderer'
export const APP_ENTRY = `${APP_SCHEME}://${APP_HOST}/index.html`

/** Registered before the app is ready: a standard, secure scheme, so 'self' and fetch work as on https. */
export const APP_SCHEME_PRIVILEGES: CustomScheme = {
  scheme: APP_SCHEME,
  privileges: { standard: true, secure: true, supportFetchAPI: true }
}

/** The answer to one app:// request: the file with the renderer's headers, or 404. */
export async function appProtocolResponse(url: string, rendererDir: string): Promise<Response> {
  const parsed = new URL(url)
  const found = parsed.host === APP_HOST ? resolveRendererFile(rendererDir, parsed.pathname) : null
  if (!found) return new Response('Not found', { status: 404, headers: { 'content-type': 'text/plain' } })
  return new Response(new Uint8Array(await readFile(found.file)), {
    status: 200,
    headers: { 'content-type': found.contentType, ...RENDERER_HEADERS }
  })
}

export function serveAppProtocol(protocol: Protocol, rendererDir: string): void {
  protocol.handle(APP_SCHEME, (request) => appProtocolResponse(request.url, rendererDir))
}
