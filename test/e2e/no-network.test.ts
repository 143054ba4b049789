import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchChromium } from '../helpers/chromium'
import { ensureRendererBuilt } from '../helpers/served-app'
import { makeTempDir } from '../helpers/tmp'

const ROOT = join(__dirname, '..', '..')
const GUARD = join(__dirname, '..', 'helpers', 'network-guard.cjs')
const TSX = pathToFileURL(join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href
const tmp = makeTempDir('no-network')
let browser: Browser

interface GuardEvent {
  pid: number
  event: string
  host?: string
  port?: number
}

const guardEnv = (log: string) => ({ ...process.env, NODE_OPTIONS: `--require ${GUARD}`, NETWORK_GUARD_LOG: log })
const readEvents = (log: string): GuardEvent[] =>
  existsSync(log)
    ? readFileSync(log, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as GuardEvent)
    : []

beforeAll(async () => {
  ensureRendererBuilt()
  browser = await launchChromium()
}, 120_000)

afterAll(async () => {
  await browser?.close()
  tmp.cleanup()
})

/** Starts `npm run serve`'s entry point with the guard loaded; resolves with its URL. */
function serveWithGuard(log: string, dataDir: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', TSX, join(ROOT, 'src', 'main', 'cli', 'serve.ts'), '--data-dir', dataDir], {
    cwd: ROOT,
    env: guardEnv(log),
    stdio: ['ignore', 'pipe', 'pipe']
  })
  return new Promise((resolve, reject) => {
    let out = ''
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString()
      const url = /serving on (http:\/\/127\.0\.0\.1:\d+\/\S*)/.exec(out)?.[1]
      if (url) resolve({ url, child })
    })
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()))
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${out}`)))
  })
}

describe('no network, at the socket level', () => {
  it('the guard sees and refuses a TCP connection, a DNS lookup and a fetch to the outside', () => {
    const log = join(tmp.dir, 'control.log')
    const script = `
      const net = require('node:net'); const dns = require('node:dns')
      try { net.connect(80, '203.0.113.9') } catch {}
      try { dns.lookup('example.org', () => {}) } catch {}
      fetch('http://203.0.113.9/').catch(() => {}).finally(() => process.exit(0))`
    execFileSync(process.execPath, ['-e', script], { env: guardEnv(log), stdio: 'ignore' })
    const refused = readEvents(log).filter((e) => e.event === 'refused')
    expect(refused.map((e) => e.host)).toEqual(['203.0.113.9', 'example.org', '203.0.113.9'])
  })

  it('a full audit from the UI, PDF included: Chromium requests only the app, and main and engine open no socket off loopback', async () => {
    const log = join(tmp.dir, 'audit.log')
    const { url, child } = await serveWithGuard(log, join(tmp.dir, 'data'))
    const origin = new URL(url).host
    try {
      const page = await browser.newPage({ viewport: { width: 1200, height: 1100 } })
      const requests: string[] = []
      page.on('request', (r) => requests.push(r.url()))
      await page.goto(url)
      // The app opens on the Audits page; the new-audit form takes its fields in steps.
      await page.getByTestId('nav-new-audit').click()
      await page.getByTestId('audit-form').waitFor()
      await page.getByTestId('name').fill('offline')
      await page.getByTestId('train-limit').fill('300')
      await page.getByTestId('test-limit').fill('100')
      await page.getByTestId('step-4').click()
      await page.getByTestId('epochs').fill('1')
      await page.getByTestId('step-3').click()
      await page.getByTestId('method-retrain').uncheck()
      await page.getByTestId('method-finetune').check()
      await page.getByTestId('step-5').click()
      await page.getByTestId('start').click()
      await page.getByTestId('tab-runs').click()
      await expect.poll(async () => page.getByTestId('runs-table').locator('tbody tr.done').count(), { timeout: 180_000 }).toBe(2)
      await page.getByTestId('tab-report').click()
      await page.getByTestId('export-pdf').click()
      await expect.poll(async () => page.getByTestId('report-path').textContent(), { timeout: 60_000 }).toMatch(/audit-.*\.pdf/)
      await page.close()
      expect(requests.length).toBeGreaterThan(0)
      expect(requests.filter((r) => new URL(r).host !== origin)).toEqual([])
    } finally {
      child.kill('SIGTERM')
      await new Promise((r) => child.once('exit', r))
    }
    const events = readEvents(log)
    // The guard ran in main and in at least one engine process.
    const processes = new Set(events.filter((e) => e.event === 'loaded').map((e) => e.pid))
    expect(processes.size).toBeGreaterThanOrEqual(2)
    expect(events.filter((e) => e.event === 'refused')).toEqual([])
    expect(events.filter((e) => e.host !== undefined && !/^(127\.|::1$|localhost$)/.test(e.host))).toEqual([])
  }, 300_000)
})
