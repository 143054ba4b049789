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

/** Serves the built renderer; any path that resolves outside its folder (.., links) is refused. */
export function serveStatic(root: string, req: IncomingMessage, res: ServerResponse): void {
  const realRoot = realpathSync(root)
  const url = new URL(req.url ?? '/', 'http://127.0.0.1')
  const rel = decodeURIComponent(url.pathname === '/' ? '/index.html' : url.pathname)
  let file: string
  try {
    file = realpathSync(join(realRoot, rel))
    if (!file.startsWith(realRoot + sep) || !statSync(file).isFile()) throw new Error('outside')
  } catch {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found')
    return
  }
  res.writeHead(200, {
    'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
    'content-security-policy': RENDERER_CSP,
    'x-content-type-options': 'nosniff',
    'cache-control': 'no-store'
  })
  createReadStream(file).pipe(res)
}
