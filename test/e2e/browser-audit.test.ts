import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { expectedBackend } from '../helpers/native-backend'
import { useBrowserApp } from '../helpers/browser-app'

const env = useBrowserApp('e2e')

/** Picks an option of a PrimeVue Select by its label. */
async function choose(page: Page, testid: string, label: string): Promise<void> {
  await page.getByTestId(testid).click()
  await page.getByRole('option', { name: label, exact: true }).click()
}

/** Moves the new-audit form to one of its steps (1 data and model … 5 review). */
const step = (page: Page, n: number) => page.getByTestId(`step-${n}`).click()
/** Opens one tab of the audit's workspace. */
const tab = (page: Page, name: string) => page.getByTestId(`tab-${name}`).click()

/** Opens the app (on the Audits page), goes to New audit, and fills the data, model and training part of the form. */
async function openForm(
  page: Page,
  f: { name: string; trainLimit: number; testLimit: number; epochs: number; arch?: string }
): Promise<void> {
  await page.goto(env.app.server.url)
  await page.getByTestId('audits-page').waitFor()
  await page.getByTestId('nav-new-audit').click()
  await page.getByTestId('audit-form').waitFor()
  await page.getByTestId('name').fill(f.name)
  await page.getByTestId('train-limit').fill(String(f.trainLimit))
  await page.getByTestId('test-limit').fill(String(f.testLimit))
  if (f.arch) await choose(page, 'arch', f.arch)
  await step(page, 4)
  await page.getByTestId('epochs').fill(String(f.epochs))
}

describe('the app in a browser, against the real services', () => {
  it('starts an audit from the form, shows moving progress, the runs and the chart, and exports a PDF', async () => {
    const page = await env.browser.newPage({ viewport: { width: 1200, height: 1100 } })
    const foreign: string[] = []
    page.on('request', (r) => {
      if (!r.url().startsWith(`http://127.0.0.1:${env.app.server.port}/`) && !r.url().startsWith(`ws://127.0.0.1:${env.app.server.port}/`))
        foreign.push(r.url())
    })
    const consoleErrors: string[] = []
    page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()))
    await openForm(page, { name: 'browser e2e', trainLimit: 1500, testLimit: 300, epochs: 2 })
    // The header names the engine's backend, with the way to native speed only where it fell back.
    const engine = page.getByTestId('engine-status')
    await expect.poll(() => engine.textContent()).toContain(`Engine: ${expectedBackend()}`)
    expect((await engine.textContent())!.includes('libdnnl-dev')).toBe(expectedBackend() === 'wasm' && !process.env.UNLEARN_BACKEND)
    await step(page, 3)
    await page.getByTestId('method-retrain').uncheck()
    await page.getByTestId('method-finetune').check()
    await step(page, 5)
    await page.getByTestId('start').click()
    await page.waitForURL(/#\/audits\/[^/]+\/overview$/)

    // The bar must be seen at two different values below 1: progress really streams in.
    const seen = new Set<number>()
    const progress = page.getByTestId('progress')
    const deadline = Date.now() + 120_000
    while (Date.now() < deadline && seen.size < 2) {
      const value = Number(await progress.evaluate((el) => (el as unknown as { value: number }).value).catch(() => 0))
      if (value > 0 && value < 1) seen.add(Math.round(value * 100))
      await page.waitForTimeout(100)
    }
    expect(seen.size).toBeGreaterThanOrEqual(2)

    await page.locator('[data-testid=chart] canvas').waitFor({ timeout: 180_000 })
    await tab(page, 'runs')
    await expect.poll(async () => page.getByTestId('runs-table').locator('tbody tr.done').count(), { timeout: 180_000 }).toBe(2)
    await tab(page, 'report')
    await page.getByTestId('export-pdf').click()
    await expect.poll(async () => page.getByTestId('report-path').textContent(), { timeout: 30_000 }).toMatch(/audit-.*\.pdf/)
    await page.screenshot({ path: join(env.screenshots, 'browser-audit.png'), fullPage: true })

    const runs = env.app.services.store.runs.list(env.app.services.store.tasks.list()[0]!.id)
    expect(runs.map((r) => [r.method, r.status])).toEqual([
      ['original', 'done'],
      ['finetune', 'done']
    ])
    expect(foreign).toEqual([])
    expect(
      consoleErrors.filter((e) => !e.includes('favicon')),
      consoleErrors.join('\n')
    ).toEqual([])
  }, 300_000)

  it('sets up a poison task: explains discovery rate, previews corrupted samples, and groups the metrics', async () => {
    const page = await env.browser.newPage({ viewport: { width: 1200, height: 1400 } })
    await openForm(page, { name: 'poison e2e', trainLimit: 1500, testLimit: 300, epochs: 3, arch: 'mlp' })
    await step(page, 2)
    await page.getByTestId('kind-corrupted').check()
    await expect.poll(() => page.getByText('Discovery rate').first().isVisible()).toBe(true)
    await choose(page, 'corruption', 'Poison trigger (high regularity)')
    await page.getByTestId('corrupted-count').fill('100')
    await page.getByTestId('discovery-rate').fill('0.5')
    await step(page, 5)
    await page.getByTestId('preview').click()
    await page.locator('[data-testid=preview-grid] canvas').first().waitFor()
    expect(await page.locator('[data-testid=preview-grid] figure').count()).toBe(8)
    // Every previewed poison sample is relabelled to the target class (T-shirt/top).
    const captions = await page.locator('[data-testid=preview-grid] figcaption').allTextContents()
    expect(captions.every((c) => c.includes('→ T-shirt/top'))).toBe(true)
    // The picker groups methods by need and refuses the class-only ones for this task, saying why.
    await step(page, 3)
    expect(await page.getByTestId('method-group-extra-capacity').textContent()).toContain('REM')
    expect(await page.getByTestId('method-unsir').isDisabled()).toBe(true)
    expect(await page.getByTestId('method-group-retain').textContent()).toContain('only for whole classes')
    expect(await page.getByTestId('method-mnemonic').isDisabled()).toBe(true)
    await page.getByTestId('method-retrain').check()
    await page.getByTestId('method-finetune').uncheck()
    await page.getByTestId('method-rem').check()
    await step(page, 5)
    await page.getByTestId('start').click()
    await page.getByTestId('metrics-forgetting').waitFor({ timeout: 240_000 })
    await tab(page, 'runs')
    await expect.poll(async () => page.getByTestId('runs-table').locator('tbody tr.done').count(), { timeout: 240_000 }).toBe(3)
    // REM's redirection view: D_f accuracy by round, original channels against dedicated ones.
    await tab(page, 'run')
    await page.locator('[data-testid=redirection-chart] canvas').waitFor({ timeout: 30_000 })
    await tab(page, 'leaderboard')
    await page.locator('[data-testid=cost-quality-chart] canvas').waitFor({ timeout: 30_000 })
    await tab(page, 'overview')
    await page.getByTestId('metrics-forgetting').waitFor()
    const forgetting = await page.getByTestId('metrics-forgetting').textContent()
    expect(forgetting).toContain('Attack success')
    expect(forgetting).toContain('Healed, undiscovered')
    expect(await page.getByTestId('metrics-retrain').textContent()).toContain('ToW')
    await page.screenshot({ path: join(env.screenshots, 'browser-poison-task.png'), fullPage: true })
  }, 300_000)

  it('runs a small sweep over the task space and shows the leaderboard and one heat-map per method', async () => {
    const page = await env.browser.newPage({ viewport: { width: 1200, height: 1600 } })
    await openForm(page, { name: 'sweep e2e', trainLimit: 600, testLimit: 200, epochs: 2, arch: 'mlp' })
    await step(page, 2)
    await page.getByTestId('kind-corrupted').check()
    await page.getByTestId('corrupted-count').fill('40')
    await page.getByTestId('sweep-poison').check()
    await page.getByTestId('sweep-interclass-swap').check()
    await page.getByTestId('sweep-rates').fill('0.5, 1')
    // 2 corruptions × 2 discovery rates × (original, retrain, finetune)
    await step(page, 5)
    await expect.poll(() => page.getByTestId('planned-runs').textContent()).toContain('12 runs')
    // The earlier tests' finished runs are this machine's measured speeds.
    await expect
      .poll(() => page.getByTestId('estimate').textContent(), { timeout: 10_000 })
      .toMatch(/About \d+ (s|min) on this machine with \d jobs? at once, at the speeds of \d+ finished runs?/)
    await page.getByTestId('start').click()
    await tab(page, 'runs')
    await expect.poll(async () => page.getByTestId('runs-table').locator('tbody tr.done').count(), { timeout: 240_000 }).toBe(12)
    await tab(page, 'leaderboard')
    await page.getByTestId('leaderboard').waitFor()
    const board = await page.getByTestId('leaderboard').textContent()
    expect(board).toContain('retrain (reference)')
    expect(board).toContain('finetune')
    await tab(page, 'task-space')
    await expect.poll(() => page.getByTestId('task-space-heatmap').count(), { timeout: 30_000 }).toBe(2)
    await page.locator('[data-testid=task-space-heatmap] canvas').first().waitFor()
    // Lines over the discovery rate (one chart per corruption), the trade-off, one run up close.
    await expect.poll(() => page.getByTestId('discovery-lines-chart').count()).toBe(2)
    await tab(page, 'trade-offs')
    await page.locator('[data-testid=trade-off-chart] canvas').first().waitFor()
    await tab(page, 'run')
    await page.locator('[data-testid=per-class-chart] canvas').first().waitFor()
    await page.locator('[data-testid=confusion-chart] canvas').first().waitFor()
    await page.screenshot({ path: join(env.screenshots, 'browser-sweep.png'), fullPage: true })

    // The drill-down: the chosen run's corrupted samples, discovered and undiscovered.
    await page.getByTestId('drill-down-load').click()
    await page.getByTestId('drill-down').waitFor({ timeout: 30_000 })
    expect(await page.getByTestId('drill-down-discovered').textContent()).toMatch(/Discovered \(in the forget set\): \d+ samples/)
    expect(await page.getByTestId('drill-down-sample').count()).toBeGreaterThan(0)
    await page.getByTestId('drill-down').screenshot({ path: join(env.screenshots, 'browser-drill-down.png') })

    // A chart saved as SVG is a real SVG document.
    await tab(page, 'trade-offs')
    await page.locator('[data-testid=trade-off-chart] canvas').first().waitFor()
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('trade-off-chart-svg').click()])
    const svgFile = join(env.tmp.dir, 'trade-off.svg')
    await download.saveAs(svgFile)
    expect(readFileSync(svgFile, 'utf8')).toMatch(/^<svg[\s\S]*Pareto front[\s\S]*<\/svg>$/)

    // One filter narrows every view: poison only leaves one line chart and halves the runs listed.
    await page.getByTestId('filter-corruption').selectOption('poison')
    await tab(page, 'task-space')
    await expect.poll(() => page.getByTestId('discovery-lines-chart').count()).toBe(1)
    await tab(page, 'runs')
    await page.getByTestId('runs-table').waitFor()
    expect(await page.getByTestId('runs-table').locator('tbody tr').count()).toBe(6)
    await page.getByTestId('filter-reset').click()
    await expect.poll(() => page.getByTestId('runs-table').locator('tbody tr').count()).toBe(12)
  }, 300_000)

  it('shows a validation error in plain words and starts nothing', async () => {
    const page = await env.browser.newPage()
    await page.goto(`${env.app.server.url}#/new`)
    await page.getByTestId('audit-form').waitFor()
    const before = env.app.services.store.tasks.list().length
    // A seed that is not a number: the form says so under the field, in the server's words, as it is typed.
    await step(page, 4)
    await page.getByTestId('seeds').fill('zero')
    await expect.poll(async () => page.getByTestId('problem-seeds').textContent(), { timeout: 10_000 }).toMatch(/^seeds\[0\]: /)
    // The step is marked, and Start stays disabled while the spec has a problem.
    expect(await page.getByTestId('step-4-problems').textContent()).toBe('1')
    await step(page, 5)
    expect(await page.getByTestId('review-problems').textContent()).toContain('seeds[0]: Invalid input')
    expect(await page.getByTestId('start').isDisabled()).toBe(true)
    expect(env.app.services.store.tasks.list().length).toBe(before)
  })
})
