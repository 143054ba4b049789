import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { AxeBuilder } from '@axe-core/playwright'
import type { Page } from 'playwright-core'
import { beforeAll, describe, expect, it } from 'vitest'
import { RETRAIN_BAND_RULE } from '@shared/privacy/retrain-band'
import { useBrowserApp } from '../helpers/browser-app'

/**
 * The Privacy tab on a tiny finished audit with privacy evidence (2 reference models, 2 retrains, 50
 * samples attacked): the ROC chart, the numbers with their intervals and within/outside-retrain marks
 * under the band's rule, the most exposed samples; the comparison views leave the privacy models out
 * and the Runs tab tags them. axe finds nothing serious in light or dark; screenshots of both are in
 * test-results/screens/privacy-tab-<scheme>.png.
 */
const env = useBrowserApp('privacy-tab-e2e')
const screens = join(env.screenshots, 'screens')
let taskId = ''

beforeAll(async () => {
  mkdirSync(screens, { recursive: true })
  const started = await env.app.services.audits.start({
    name: 'privacy tab',
    dataset: { id: 'fashion-mnist', trainLimit: 600, testLimit: 300 },
    model: { arch: 'mlp' },
    train: { epochs: 3, batchSize: 64, learningRate: 0.05 },
    task: { kind: 'random', fraction: 0.1 },
    methods: ['retrain', 'finetune'],
    seeds: [0],
    privacy: { referenceModels: 2, retrains: 2, attackSize: 50 }
  })
  await started.done
  taskId = started.taskId
}, 120_000)

/** A page on `hash` in a context of its own (axe opens a page beside it), with the errors it logs. */
async function open(hash: string, scheme: 'light' | 'dark'): Promise<{ page: Page; errors: string[]; close: () => Promise<void> }> {
  const context = await env.browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: scheme })
  const page = await context.newPage()
  const errors: string[] = []
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()))
  page.on('pageerror', (e) => errors.push(e.message))
  await page.goto(`${env.app.server.url}#${hash}`)
  await page.getByTestId('workspace').waitFor()
  return { page, errors, close: () => context.close() }
}

describe('the Privacy tab', () => {
  it('trained the privacy models beside the audit', () => {
    const runs = env.app.services.store.runs.list(taskId)
    for (const r of runs) expect(r.status, `${r.method}: ${r.error}`).toBe('done')
    expect(runs.filter((r) => r.replica !== null).map((r) => `${r.method} ${r.replica}`)).toEqual([
      'reference 0',
      'reference 1',
      'retrain 1'
    ])
  })

  for (const scheme of ['light', 'dark'] as const) {
    it(`shows the ROC curves, the numbers with intervals and marks, the rule and the exposed samples (${scheme})`, async () => {
      const { page, errors, close } = await open(`/audits/${taskId}/privacy`, scheme)
      try {
        await page.getByTestId('privacy-tab').waitFor()
        await page.locator('[data-testid=privacy-roc-chart] canvas').first().waitFor({ timeout: 30_000 })
        await page.locator('[data-testid=privacy-histogram-chart] canvas').first().waitFor()

        // One row per audit run (original, retrain, finetune), each number with its interval.
        const rows = page.getByTestId('privacy-row')
        await expect.poll(() => rows.count()).toBe(3)
        expect(await rows.locator('th').allTextContents()).toEqual(['original (baseline)', 'retrain (baseline)', 'finetune'])
        expect(await rows.first().getByTestId('privacy-interval').first().textContent()).toMatch(/^\[\d\.\d{3}, \d\.\d{3}\]$/)
        const marks = await page.getByTestId('retrain-mark').allTextContents()
        expect(marks.length).toBeGreaterThan(0)
        for (const m of marks) expect(m).toMatch(/^(within|outside) retrain$/)
        expect(await page.getByTestId('retrain-rule').textContent()).toBe(RETRAIN_BAND_RULE)
        expect(await page.getByTestId('ulira-self-test').textContent()).toMatch(/a calibrated test reads 0\.5/i)

        // Thumbnails of the most exposed forget samples: the original, finetune and retrain, 8 each.
        await expect.poll(() => page.getByTestId('exposed-group').count()).toBe(3)
        expect(await page.getByTestId('exposed-sample').count()).toBe(24)
        expect(await page.getByTestId('exposed-sample').first().locator('canvas').getAttribute('aria-label')).toMatch(
          /LiRA score -?\d+\.\d{2} SD$/
        )

        // RMIA redraws the chart and is kept in the URL.
        await page.getByTestId('privacy-attack').getByText('RMIA').click()
        await expect.poll(() => page.url()).toContain('attack=rmia')
        await page.getByTestId('threat-model').locator('summary').click()
        expect(await page.getByTestId('threat-model').textContent()).toContain('Access: black-box')

        await page.getByTestId('privacy-attack').getByText('LiRA').click()
        await page.waitForTimeout(1200)
        const axe = await new AxeBuilder({ page }).analyze()
        const serious = axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
        expect(serious.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(' | ')}`)).toEqual([])
        // The whole tab in one viewport (a full-page capture resizes the page under the charts as it shoots).
        await page.setViewportSize({ width: 1280, height: await page.evaluate<number>('document.documentElement.scrollHeight') })
        await page.waitForTimeout(800)
        await page.screenshot({ path: join(screens, `privacy-tab-${scheme}.png`) })
        expect(errors).toEqual([])
      } finally {
        await close()
      }
    }, 60_000)
  }

  it('leaves the privacy models out of the comparison views and tags them in the Runs tab', async () => {
    const { page, errors, close } = await open(`/audits/${taskId}/leaderboard`, 'light')
    try {
      await page.getByTestId('leaderboard').waitFor()
      // Methods, not 'reference'; retrain stands on the audit's one run, not the band's.
      const board = page.getByTestId('leaderboard')
      expect((await board.locator('.method').allTextContents()).sort()).toEqual(['finetune', 'original', 'retrain'])
      expect(await board.locator('tbody tr', { hasText: 'retrain' }).first().textContent()).toContain('· 1 run')
      await page.getByTestId('tab-runs').click()
      await expect.poll(() => page.getByTestId('runs-table').locator('tbody tr.done').count()).toBe(6)
      const tagged = page.getByTestId('runs-table').locator('tbody tr', { has: page.getByTestId('replica-tag') })
      expect((await tagged.locator('.method').allTextContents()).sort()).toEqual(['reference 0', 'reference 1', 'retrain, band 1'])
      const axe = await new AxeBuilder({ page }).include('[data-testid=runs-table]').analyze()
      expect(axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id)).toEqual([])
      await page.screenshot({ path: join(screens, 'privacy-runs-light.png') })
      expect(errors).toEqual([])
    } finally {
      await close()
    }
  })
})
