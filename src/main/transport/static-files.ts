import { createReadStream, realpathSync, statSync } from 'node:fs'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { extname, join, sep } from 'node:path'
import { RENDERER_CSP } from './csp'

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json'
}

/**
 * The file of the built renderer a request path names, with its content type; null for anything
 * that resolves outside the renderer folder (`..`, encoded or not, or a link) or is not a file.
 */
export function resolveRendererFile(root: string, pathname: string): { file: string; contentType: string } | null {
  try {
    const realRoot = realpathSync(root)
    const rel = decodeURIComponent(pathname === '/' || pathname === '' ? '/index.html' : pathname)
    const file = realpathSync(join(realRoot, rel))
    if (!file.startsWith(realRoot + sep) || !statSync(file).isFile()) return null
    return { file, contentType: TYPES[extname(file)] ?? 'application/octet-stream' }
  } catch {
    return null
  }
}

/** The headers every renderer file is served with, over either transport. */
export const RENDERER_HEADERS = {
  'content-security-policy': RENDERER_CSP,
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store'
}

/** Serves the built renderer over the loopback server. */
export function serveStatic(root: string, req: IncomingMessage, res: ServerResponse): void {
  const found = resolveRendererFile(root, new URL(req.url ?? '/', 'http://127.0.0.1').pathname)
  if (!found) {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found')
    return
  }
  res.writeHead(200, { 'content-type': found.contentType, ...RENDERER_HEADERS })
  createReadStream(found.file).pipe(res)
}
