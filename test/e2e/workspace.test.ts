import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunRecord } from '@shared/api/contract'
import { launchChromium } from '../helpers/chromium'
import { startServedApp } from '../helpers/served-app'
import { tinySweep } from '../helpers/tiny-sweep'
import { makeTempDir } from '../helpers/tmp'

/**
 * The audit workspace in a real browser against the real services, on a tiny finished sweep
 * (2 corruptions × 2 discovery rates × original, finetune, retrain; one seed): every tab draws its
 * content, the runs sort, a link opens one run, the URL's query restores a filter, and the Report
 * tab draws the PDF's pages with pdf.js in its worker under the app's CSP.
 */
const tmp = makeTempDir('workspace-e2e')
const screenshots = join(__dirname, '..', '..', 'test-results')
let app: Awaited<ReturnType<typeof startServedApp>>
let browser: Browser
let taskId = ''
let runs: RunRecord[] = []

beforeAll(async () => {
  mkdirSync(screenshots, { recursive: true })
  app = await startServedApp(tmp.dir)
  const started = await app.services.audits.start(tinySweep('workspace e2e'))
  await started.done
  taskId = started.taskId
  runs = app.services.store.runs.list(taskId)
  browser = await launchChromium()
}, 240_000)

afterAll(async () => {
  await browser?.close()
  await app?.stop()
  tmp.cleanup()
})

/** A page on `hash` (after `#`), with the console errors and foreign requests it makes. */
async function open(hash: string, opts: { dark?: boolean } = {}): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 }, colorScheme: opts.dark ? 'dark' : 'light' })
  const errors: string[] = []
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()))
  page.on('pageerror', (e) => errors.push(e.message))
  page.on('request', (r) => {
    if (!r.url().startsWith(`http://127.0.0.1:${app.server.port}/`) && !r.url().startsWith(`ws://127.0.0.1:${app.server.port}/`))
      errors.push(`foreign request ${r.url()}`)
  })
  await page.goto(`${app.server.url}#${hash}`)
  await page.getByTestId('workspace').waitFor()
  return { page, errors }
}

/** The Runs table's virtual scroller: the element that scrolls. */
const SCROLLER = '[data-testid=runs-table] .p-virtualscroller'
const canvasIn = (page: Page, testid: string) => page.locator(`[data-testid=${testid}] canvas`).first().waitFor({ timeout: 30_000 })
/** A full-page screenshot once the charts' entry animations are over. */
async function shot(page: Page, name: string): Promise<void> {
  await page.waitForTimeout(1200)
  await page.screenshot({ path: join(screenshots, `workspace-${name}.png`), fullPage: true })
}

describe('the audit workspace', () => {
  it('shows each tab with its content, light and dark', async () => {
    expect(runs).toHaveLength(12)
    for (const dark of [false, true]) {
      const { page, errors } = await open(`/audits/${taskId}/overview`, { dark })
      const theme = dark ? 'dark' : 'light'
      expect(await page.evaluate("document.documentElement.classList.contains('app-dark')")).toBe(dark)

      // Overview: the verdict, one card per method against retrain, the comparison chart, every metric.
      await page.getByTestId('verdict').waitFor()
      expect(await page.getByTestId('verdict').textContent()).toMatch(/Verdict\S+/)
      await expect.poll(() => page.getByTestId('stat-card').count()).toBe(3)
      expect(await page.getByTestId('stat-cards').textContent()).toContain('Δ')
      await canvasIn(page, 'chart')
      expect(await page.getByTestId('metrics-forgetting').textContent()).toContain('Attack success')
      await shot(page, `overview-${theme}`)

      // Leaderboard: a sortable table with the references pinned, and cost beside quality.
      await page.getByTestId('tab-leaderboard').click()
      await page.getByTestId('leaderboard').waitFor()
      expect(await page.getByTestId('leaderboard').textContent()).toContain('retrain (reference)')
      await canvasIn(page, 'cost-quality-chart')
      await shot(page, `leaderboard-${theme}`)

      // Task space: one heat-map per method on one shared scale, and one line chart per corruption.
      await page.getByTestId('tab-task-space').click()
      await expect.poll(() => page.getByTestId('task-space-heatmap').count()).toBe(2)
      await canvasIn(page, 'task-space-heatmap')
      await page.getByTestId('task-space-scale').waitFor()
      await expect.poll(() => page.getByTestId('discovery-lines-chart').count()).toBe(2)
      await shot(page, `task-space-${theme}`)

      // Trade-offs: forgetting against utility, and cost against quality, each with its Pareto front.
      await page.getByTestId('tab-trade-offs').click()
      await canvasIn(page, 'trade-off-chart')
      await canvasIn(page, 'cost-pareto-chart')
      await shot(page, `trade-offs-${theme}`)

      await page.getByTestId('tab-runs').click()
      await expect.poll(() => page.getByTestId('runs-table').locator('tbody tr.done').count()).toBe(12)
      await shot(page, `runs-${theme}`)

      await page.getByTestId('tab-run').click()
      await page.getByTestId('run-detail').waitFor()
      await canvasIn(page, 'per-class-chart')
      await canvasIn(page, 'confusion-chart')
      await shot(page, `run-${theme}`)
      expect(errors).toEqual([])
      await page.close()
    }
  }, 180_000)

  it('sorts the runs by a column, keeps the sort in the URL, and opens a run from its row', async () => {
    const { page, errors } = await open(`/audits/${taskId}/runs`)
    const table = page.getByTestId('runs-table')
    await expect.poll(() => table.locator('tbody tr').count()).toBe(12)
    const methods = () => table.locator('tbody tr td:nth-child(2)').allTextContents()
    await table.locator('th', { hasText: 'Method' }).click()
    await expect.poll(async () => (await methods()).map((m) => m.trim())).toEqual([...runs.map((r) => r.method)].sort())
    await expect.poll(() => page.url()).toContain('sort=method')
    await table.locator('th', { hasText: 'Method' }).click()
    await expect.poll(async () => (await methods())[0]!.trim()).toBe('retrain')
    await expect.poll(() => page.url()).toContain('order=desc')
    // A reload (or a link) restores the sort.
    await page.reload()
    await expect.poll(async () => (await methods())[0]?.trim()).toBe('retrain')

    // A row opens that run's detail, named in the URL.
    const row = table.locator('tbody tr').nth(3)
    const method = (await row.locator('td:nth-child(2)').textContent())!.trim()
    await row.locator('td:nth-child(3)').click()
    await page.getByTestId('run-detail').waitFor()
    const runId = decodeURIComponent(/\/run\/([^?]+)/.exec(page.url())![1]!)
    expect(runs.find((r) => r.id === runId)?.method).toBe(method)
    expect(await page.getByTestId('run-detail-select').inputValue()).toBe(runId)
    expect(errors).toEqual([])
    await page.close()
  }, 60_000)

  it('opens the run a Run detail URL names, and choosing another writes the URL', async () => {
    const target = runs.find((r) => r.method === 'retrain' && r.cell?.corruption === 'interclass-swap' && r.cell?.discoveryRate === 1)!
    const { page, errors } = await open(`/audits/${taskId}/run/${target.id}`)
    await page.getByTestId('run-detail').waitFor()
    expect(await page.getByTestId('run-detail-select').inputValue()).toBe(target.id)
    expect(await page.getByTestId('run-detail').textContent()).toContain('interclass-swap, rate 1')
    await canvasIn(page, 'per-class-chart')
    const other = runs.find((r) => r.method === 'finetune' && r.cell?.corruption === 'poison')!
    await page.getByTestId('run-detail-select').selectOption(other.id)
    await expect.poll(() => page.url()).toContain(`/run/${other.id}`)
    await expect.poll(() => page.getByTestId('run-detail').textContent()).toContain('poison, rate')
    // The drill-down of this run's corrupted samples.
    await page.getByTestId('drill-down-load').click()
    await page.getByTestId('drill-down').waitFor({ timeout: 30_000 })
    expect(await page.getByTestId('drill-down-sample').count()).toBeGreaterThan(0)
    expect(errors).toEqual([])
    await page.close()
  }, 60_000)

  it("restores a filter from the URL's query and writes a changed one back", async () => {
    const { page, errors } = await open(`/audits/${taskId}/runs?corruption=poison`)
    const table = page.getByTestId('runs-table')
    await expect.poll(() => table.locator('tbody tr').count()).toBe(6)
    expect(await page.getByTestId('filter-corruption').inputValue()).toBe('poison')
    // The filter holds across the tabs, and the tab links carry it.
    await page.getByTestId('tab-task-space').click()
    await expect.poll(() => page.getByTestId('discovery-lines-chart').count()).toBe(1)
    expect(page.url()).toContain('corruption=poison')
    await page.getByTestId('filter-corruption').selectOption('interclass-swap')
    await expect.poll(() => page.url()).toContain('corruption=interclass-swap')
    await page.getByTestId('filter-reset').click()
    await expect.poll(() => page.url()).not.toContain('corruption=')
    await expect.poll(() => page.getByTestId('discovery-lines-chart').count()).toBe(2)
    expect(errors).toEqual([])
    await page.close()
  }, 60_000)

  it("draws the PDF report's pages in the Report tab", async () => {
    const { page, errors } = await open(`/audits/${taskId}/report`)
    await page.getByTestId('report-preview-pages').waitFor({ timeout: 60_000 })
    const pages = await page.getByTestId('report-page').count()
    expect(pages).toBeGreaterThan(4)
    // The first page has ink: the title, the verdict.
    const ink = (await page.evaluate(`(() => {
      const canvas = document.querySelector('[data-testid=report-page]')
      const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data
      let dark = 0
      for (let i = 0; i < data.length; i += 4) if (data[i] + data[i + 1] + data[i + 2] < 384) dark++
      return dark / (canvas.width * canvas.height)
    })()`)) as number
    expect(ink).toBeGreaterThan(0.005)
    await shot(page, 'report')
    expect(errors).toEqual([])
    await page.close()
  }, 120_000)

  // Last: it adds 9,988 queued runs to the audit.
  it('keeps the Runs tab smooth at 10,000 runs: only the rows in view are in the page, and it sorts and scrolls', async () => {
    const cells = [...new Map(runs.map((r) => [r.cellKey, r.cell!])).entries()]
    const store = app.services.store
    for (let i = 0; i < 10_000 - runs.length; i++) {
      const [key, coords] = cells[i % cells.length]!
      const id = store.runs.create({
        taskId,
        method: 'finetune',
        params: { epochs: 1 },
        seed: i % 50,
        position: 100 + i,
        cell: { key, coords }
      })
      store.runs.putMetrics(id, { testAccuracy: (i % 997) / 997, forgetAccuracy: (i % 89) / 89, seconds: 1 + (i % 13) })
    }
    const { page, errors } = await open(`/audits/${taskId}/runs`)
    await expect.poll(() => page.getByTestId('runs-count').textContent(), { timeout: 30_000 }).toContain('10000 of 10000')
    const table = page.getByTestId('runs-table')
    expect(await table.locator('tbody tr').count()).toBeLessThan(100)

    // Scrolling at a wheel's pace: each step's rows are drawn, and the frames keep coming.
    // (Scripts run in the page, as text: this file is compiled without the DOM's types.)
    const frames = (await page.evaluate(`(async () => {
      const scroller = document.querySelector(${JSON.stringify(SCROLLER)})
      const gaps = []
      let last = performance.now()
      // A wheel's pace: five rows a frame, forty frames.
      for (let step = 1; step <= 40; step++) {
        scroller.scrollTop = step * 5 * 34
        await new Promise((r) => requestAnimationFrame(() => r(null)))
        const now = performance.now()
        gaps.push(now - last)
        last = now
      }
      gaps.sort((a, b) => a - b)
      return { median: gaps[Math.floor(gaps.length / 2)], worst: gaps.at(-1), rows: document.querySelectorAll('[data-testid=runs-table] tbody tr').length }
    })()`)) as { median: number; worst: number; rows: number }
    console.log(`10,000 runs, scrolled five rows a frame: median frame ${frames.median.toFixed(0)} ms, worst ${frames.worst.toFixed(0)} ms`)
    expect(frames.rows).toBeLessThan(100)
    expect(frames.median).toBeLessThan(50)
    // A jump to the end (a drag of the scroll bar) draws the last rows, the queued ones.
    await page.evaluate(`(() => { const s = document.querySelector(${JSON.stringify(SCROLLER)}); s.scrollTop = s.scrollHeight })()`)
    await expect.poll(() => table.locator('tbody tr.queued').count()).toBeGreaterThan(0)

    // Sorting all of them by test accuracy, highest first (996/997 is the largest made above).
    const started = Date.now()
    await table.locator('th', { hasText: 'Test acc.' }).click()
    await table.locator('th', { hasText: 'Test acc.' }).click()
    await expect.poll(() => page.url()).toContain('order=desc')
    await page.evaluate(`document.querySelector(${JSON.stringify(SCROLLER)}).scrollTop = 0`)
    await expect.poll(async () => (await table.locator('tbody tr td:nth-child(5)').first().textContent())?.trim()).toBe('0.999')
    console.log(`10,000 runs sorted twice in ${Date.now() - started} ms`)
    await shot(page, 'runs-10000')
    expect(errors).toEqual([])
    await page.close()
  }, 180_000)
})
