import { existsSync, readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'

/** The repository (or unpacked app) root: the nearest folder up whose package.json is this app's. */
export function findAppRoot(from = __dirname): string {
  let dir = from
  for (;;) {
    const pkg = join(dir, 'package.json')
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'unlearning-audit') return dir
    const up = dirname(dir)
    if (up === dir) throw new Error(`Cannot find the app root above ${from}`)
    dir = up
  }
}

export function appVersion(appRoot: string): string {
  return (JSON.parse(readFileSync(join(appRoot, 'package.json'), 'utf8')) as { version: string }).version
}

/** Where databases, models and reports live; APP_DATA_DIR overrides it (tests use a temp dir each). */
export function defaultDataDir(): string {
  if (process.env.APP_DATA_DIR) return process.env.APP_DATA_DIR
  const base = process.env.XDG_DATA_HOME || join(homedir(), '.local', 'share')
  return join(base, 'unlearning-audit')
}
