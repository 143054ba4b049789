import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { AxeBuilder } from '@axe-core/playwright'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServedApp } from '../helpers/served-app'
import { launchChromium } from '../helpers/chromium'
import { makeTempDir } from '../helpers/tmp'

/**
 * axe-core on every route of the app, in light and in dark: no violation of impact serious or
 * critical (the others are printed), and a 1280×800 screenshot of each route in each scheme in
 * test-results/screens/<route>-<scheme>.png, for a person to look at.
 */

const tmp = makeTempDir('e2e-a11y')
const fixtures = join(__dirname, '..', 'fixtures')
const screens = join(__dirname, '..', '..', 'test-results', 'screens')
const WORKSPACE_TABS = ['overview', 'leaderboard', 'task-space', 'trade-offs', 'privacy', 'runs', 'run', 'report'] as const
let app: Awaited<ReturnType<typeof startServedApp>>
let browser: Browser
let taskId = ''
let runId = ''

beforeAll(async () => {
  mkdirSync(screens, { recursive: true })
  app = await startServedApp(tmp.dir)
  browser = await launchChromium()
  // A tiny finished audit, so every tab of the workspace has something to show.
  const started = await app.services.audits.start({
    name: 'accessibility',
    dataset: { id: 'fashion-mnist', trainLimit: 300, testLimit: 100 },
    model: { arch: 'mlp' },
    train: { epochs: 1, batchSize: 64, learningRate: 0.05 },
    task: { kind: 'class', classes: [1] },
    methods: ['retrain', 'finetune'],
    seeds: [0]
  })
  await started.done
  taskId = started.taskId
  runId = app.services.store.runs.list(taskId).find((r) => r.method === 'finetune')!.id
}, 240_000)

afterAll(async () => {
  await browser?.close()
  await app?.stop()
  tmp.cleanup()
})

interface Finding {
  route: string
  rule: string
  impact: string
  help: string
  targets: string[]
}

/** Runs axe on what the page shows now, and saves its screenshot. */
async function check(page: Page, route: string, scheme: string, findings: Finding[]): Promise<void> {
  const results = await new AxeBuilder({ page }).analyze()
  for (const v of results.violations)
    findings.push({
      route,
      rule: v.id,
      impact: v.impact ?? 'unknown',
      help: v.help,
      targets: v.nodes.slice(0, 6).map((n) => n.target.join(' '))
    })
  await page.screenshot({ path: join(screens, `${route}-${scheme}.png`) })
}

/** Opens a route by its hash and waits for its page and for the data and charts to settle. */
async function open(page: Page, hash: string, testid: string, settleMs = 400): Promise<void> {
  await page.goto(`${app.server.url}#${hash}`)
  await page.getByTestId(testid).first().waitFor({ timeout: 30_000 })
  await page.waitForTimeout(settleMs)
}

async function visitAll(scheme: 'light' | 'dark'): Promise<Finding[]> {
  // axe opens a blank page of its own in the page's context: the page needs a context of its own.
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: scheme })
  const page = await context.newPage()
  const findings: Finding[] = []
  try {
    await open(page, '/audits', 'audits-page')
    expect(((await page.locator('html').getAttribute('class')) ?? '').includes('app-dark')).toBe(scheme === 'dark')
    await check(page, 'audits', scheme, findings)

    // The new-audit form, and each of its steps where it has them (a `step-next` button moves on).
    await open(page, '/new', 'new-audit-page', 800)
    await check(page, 'new', scheme, findings)
    const next = page.getByTestId('step-next')
    for (let step = 2; step <= 8; step++) {
      if (!(await next.count()) || !(await next.first().isVisible()) || !(await next.first().isEnabled())) break
      await next.first().click()
      await page.waitForTimeout(400)
      await check(page, `new-step-${step}`, scheme, findings)
    }

    await open(page, '/library', 'library-page')
    await check(page, 'library', scheme, findings)
    // The import panel as it opens for a picked model folder (nothing is imported).
    await page.getByTestId('pick-folder').setInputFiles(join(fixtures, 'models', 'valid'))
    await page.getByTestId('import-panel').waitFor()
    await page.waitForTimeout(200)
    await check(page, 'library-import', scheme, findings)
    await page.getByTestId('import-cancel').click()

    await open(page, '/settings', 'settings-page')
    await check(page, 'settings', scheme, findings)
    await open(page, '/about', 'about-page')
    await page.getByTestId('about-version').waitFor()
    await check(page, 'about', scheme, findings)

    for (const tab of WORKSPACE_TABS) {
      const path = tab === 'run' ? `/audits/${taskId}/run/${runId}` : `/audits/${taskId}/${tab}`
      // Charts draw with an animation: give them time before the screenshot.
      await open(page, path, 'workspace', 1200)
      await check(page, `audit-${tab}`, scheme, findings)
    }
  } finally {
    await context.close()
  }
  return findings
}

function print(scheme: string, findings: Finding[]): void {
  const lines = findings.map((f) => `  [${f.impact}] ${f.route}: ${f.rule} (${f.help}) at ${f.targets.join(' | ')}`)
  process.stdout.write(`axe, ${scheme}: ${findings.length} violation(s)\n${lines.join('\n')}\n`)
}

const serious = (f: Finding) => f.impact === 'serious' || f.impact === 'critical'

describe('accessibility of every route (axe-core), light and dark', () => {
  for (const scheme of ['light', 'dark'] as const) {
    it(`has no serious or critical violation in ${scheme}`, async () => {
      const findings = await visitAll(scheme)
      print(scheme, findings)
      expect(findings.filter(serious)).toEqual([])
    }, 300_000)
  }
})
