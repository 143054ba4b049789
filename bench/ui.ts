import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { createHash } from 'node:crypto'
import { canonicalJson } from '@shared/canonical-json'
import { parseTaskSpec } from '@shared/task-spec'
import { syntheticInput } from './report'
import { launchChromium } from '../test/helpers/chromium'
import { startServedApp } from '../test/helpers/served-app'

/**
 * The renderer's speed in the bundled headless Chromium against the served app (`npm run serve`'s
 * server and services): (a) first contentful paint of a cold load (goal under 1 s), and (b) switching
 * the tabs of an audit of 10,000 finished runs (goal under 200 ms): from the click on a tab link to the
 * last change of the page's DOM that follows it, measured in the page with performance.now(). The runs
 * are written straight into the store with synthetic metrics (those of bench/report.ts's sweep).
 */

const LOADS = 5
const ROUNDS = 3
const TABS = ['overview', 'leaderboard', 'task-space', 'trade-offs', 'runs', 'run', 'report'] as const
const METHODS = ['original', 'retrain', 'finetune', 'rem', 'npo', 'gradient-ascent', 'potion', 'neggrad-plus', 'scrub', 'salun']
const RATES = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1]
const SEEDS = Array.from({ length: 100 }, (_, i) => i)
/** No DOM change for this long after the last one: the tab is taken as rendered. */
const QUIET_MS = 400
/** A tab still changing after this long is timed at this (a ticking element would never be quiet). */
const CAP_MS = 15_000

export interface UiBench {
  browser: string
  runs: number
  firstPaintMs: number
  appReadyMs: number
  tabs: Array<{ tab: string; medianMs: number; maxMs: number }>
  tabSwitchMs: number
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]!
}

type App = Awaited<ReturnType<typeof startServedApp>>

/** One audit of 10 methods × 10 discovery rates × 100 seeds, every run done, with the sweep's synthetic metrics. */
function fillAudit(app: App): string {
  const templates = syntheticInput().runs
  const spec = parseTaskSpec({
    name: 'bench: 10,000 runs',
    dataset: { id: 'fashion-mnist', trainLimit: 6000, testLimit: 1000 },
    model: { arch: 'cnn-small' },
    train: { epochs: 4, batchSize: 128, learningRate: 0.05 },
    task: { kind: 'corrupted', corruption: 'poison', corruptedCount: 300, discoveryRate: 0.5 },
    methods: METHODS.slice(1),
    seeds: SEEDS,
    sweep: { discoveryRate: RATES }
  })
  const store = app.services.store
  // A fresh data folder has not recorded the built-in dataset yet: the first audit on it would.
  store.datasets.upsert({
    id: 'fashion-mnist',
    name: 'Fashion-MNIST',
    source: 'builtin',
    sha256: createHash('sha256').update('bench dataset').digest('hex'),
    numClasses: 10,
    inputShape: [28, 28, 1]
  })
  const taskId = store.tasks.create({
    name: spec.name,
    spec,
    specSha256: createHash('sha256').update(canonicalJson(spec)).digest('hex'),
    datasetId: 'fashion-mnist'
  })
  store.transaction(() => {
    let position = 0
    for (const discoveryRate of RATES)
      for (const seed of SEEDS)
        for (const method of METHODS) {
          const t = templates[position % templates.length]!
          const runId = store.runs.create({
            taskId,
            method,
            params: t.params,
            seed,
            position: position++,
            cell: { key: `discoveryRate=${discoveryRate}`, coords: { discoveryRate } }
          })
          store.runs.finish(runId, {
            status: 'done',
            backend: 'wasm',
            steps: t.steps!,
            forgetCount: Math.round(300 * discoveryRate),
            retainCount: 6000 - Math.round(300 * discoveryRate),
            forgetSha256: t.forgetSha256!,
            metrics: t.metrics
          })
        }
  })
  return taskId
}

/** A cold load in a fresh context (no cache): first contentful paint, and when the navigation is on screen. */
async function coldLoad(browser: Browser, url: string): Promise<{ fcp: number; ready: number }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } })
  try {
    const page = await context.newPage()
    await page.goto(`${url}#/audits`)
    await page.getByTestId('nav-audits').waitFor()
    const ready = (await page.evaluate('performance.now()')) as number
    const fcp = (await page.evaluate(FIRST_PAINT)) as number
    return { fcp, ready }
  } finally {
    await context.close()
  }
}

/**
 * Clicks the tab's link and answers the time to the last DOM change it caused (then the frame that paints it),
 * all inside the page.
 */
async function switchTab(page: Page, tab: string): Promise<number> {
  return (await page.evaluate(`(${SWITCH_TAB})(${JSON.stringify(tab)}, ${QUIET_MS}, ${CAP_MS})`)) as number
}

// The scripts run in the page; they are kept as text because this project's Node typings have no DOM.
const FIRST_PAINT = `(async () => {
  for (let i = 0; i < 100; i++) {
    const entry = performance.getEntriesByType('paint').find((e) => e.name === 'first-contentful-paint')
    if (entry) return entry.startTime
    await new Promise((r) => setTimeout(r, 20))
  }
  return Number.NaN
})()`

const SWITCH_TAB = `async (tab, quiet, cap) => {
  const link = document.querySelector('[data-testid="tab-' + tab + '"]')
  if (!link) throw new Error('No link for the tab ' + tab)
  let last = 0
  const observer = new MutationObserver(() => (last = performance.now()))
  observer.observe(document.body, { childList: true, subtree: true, attributes: true, characterData: true })
  const start = performance.now()
  link.click()
  while (performance.now() - Math.max(last, start) < quiet && performance.now() - start < cap) await new Promise((r) => setTimeout(r, 25))
  observer.disconnect()
  if (!location.hash.includes('/' + tab)) throw new Error('The tab ' + tab + ' did not open (' + location.hash + ')')
  await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))
  return Math.min(Math.max(last, start) - start, cap)
}`

export async function uiBench(): Promise<UiBench> {
  const dir = mkdtempSync(join(tmpdir(), 'ua-bench-ui-'))
  const app = await startServedApp(dir)
  const browser = await launchChromium()
  try {
    const loads: Array<{ fcp: number; ready: number }> = []
    for (let i = 0; i < LOADS; i++) loads.push(await coldLoad(browser, app.server.url))

    const taskId = fillAudit(app)
    const runs = app.services.store.runs.list(taskId).length
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } })
    const page = await context.newPage()
    await page.goto(`${app.server.url}#/audits/${taskId}/overview`)
    await page.getByTestId('tab-overview').waitFor({ timeout: 60_000 })
    // The runs load once with the workspace: wait until the first tab has settled before timing switches.
    await page.getByTestId('workspace').waitFor()
    await page.waitForTimeout(3000)
    const times = new Map<string, number[]>(TABS.map((t) => [t, []]))
    for (let round = 0; round < ROUNDS; round++) {
      // Each tab is entered from the one before it; the first round starts from overview, so it goes last.
      for (const tab of [...TABS.slice(1), TABS[0]]) times.get(tab)!.push(await switchTab(page, tab))
    }
    await context.close()
    const tabs = TABS.map((tab) => ({ tab, medianMs: median(times.get(tab)!), maxMs: Math.max(...times.get(tab)!) }))
    return {
      browser: browser.version(),
      runs,
      firstPaintMs: median(loads.map((l) => l.fcp)),
      appReadyMs: median(loads.map((l) => l.ready)),
      tabs,
      tabSwitchMs: median([...times.values()].flat())
    }
  } finally {
    await browser.close()
    await app.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

export function printUiBench(b: UiBench): void {
  const verdict = (ms: number, goal: number) => (ms < goal ? 'yes' : 'no')
  process.stdout.write(
    `\nThe app in headless Chromium ${b.browser} (served app; first paint: median of ${LOADS} cold loads; tab switch on an audit of ${b.runs} runs: median of ${ROUNDS} switches into each tab, click to last DOM change)\n\n| measure | backend | ms | goal (ms) | met |\n|---|---|---:|---:|---|\n`
  )
  process.stdout.write(`| first contentful paint | none | ${b.firstPaintMs.toFixed(0)} | 1000 | ${verdict(b.firstPaintMs, 1000)} |\n`)
  process.stdout.write(`| navigation on screen | none | ${b.appReadyMs.toFixed(0)} | — | — |\n`)
  for (const t of b.tabs)
    process.stdout.write(
      `| tab ${t.tab} (max ${t.maxMs.toFixed(0)}) | none | ${t.medianMs.toFixed(0)} | 200 | ${verdict(t.medianMs, 200)} |\n`
    )
  process.stdout.write(`| tab switch, all tabs | none | ${b.tabSwitchMs.toFixed(0)} | 200 | ${verdict(b.tabSwitchMs, 200)} |\n`)
}

if (process.argv[1]?.endsWith('ui.ts'))
  uiBench()
    .then(printUiBench)
    .catch((err: Error) => {
      process.stderr.write(`bench ui: ${err.message}\n`)
      process.exit(1)
    })
