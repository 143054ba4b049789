import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { AxeBuilder } from '@axe-core/playwright'
import type { Page } from 'playwright-core'
import { beforeAll, describe, expect, it } from 'vitest'
import { useBrowserApp } from '../helpers/browser-app'

/**
 * The new-audit form's Privacy evidence setting in a browser: a tier adds retrain where it is missing
 * and says so, each tier is priced once this machine has measured its speeds, a spec without retrain
 * (or with an odd K) is refused in words, and the review says what the evidence adds. axe finds
 * nothing serious; test-results/screens/privacy-form-<scheme>.png shows the setting.
 */
const env = useBrowserApp('privacy-form-e2e')
const screens = join(env.screenshots, 'screens')

beforeAll(async () => {
  mkdirSync(screens, { recursive: true })
  // A finished audit, so the estimate has this machine's speeds to price the tiers with.
  const started = await env.app.services.audits.start({
    name: 'speeds',
    dataset: { id: 'fashion-mnist', trainLimit: 300, testLimit: 100 },
    model: { arch: 'mlp' },
    train: { epochs: 1, batchSize: 64, learningRate: 0.05 },
    task: { kind: 'random', fraction: 0.1 },
    methods: ['retrain', 'finetune'],
    seeds: [0]
  })
  await started.done
}, 120_000)

async function openMethodsStep(page: Page): Promise<void> {
  await page.goto(`${env.app.server.url}#/new`)
  await page.getByTestId('audit-form').waitFor()
  await page.getByTestId('train-limit').fill('300')
  await page.getByTestId('test-limit').fill('100')
  await page.getByTestId('step-3').click()
  await page.getByTestId('privacy-setting').waitFor()
}

describe('the Privacy evidence setting of a new audit', () => {
  it('adds retrain for a tier, prices each tier, and refuses what cannot run', async () => {
    // A context of its own: axe opens a page beside it.
    const context = await env.browser.newContext({ viewport: { width: 1280, height: 1000 } })
    const page = await context.newPage()
    const errors: string[] = []
    page.on('pageerror', (e) => errors.push(e.message))
    try {
      await openMethodsStep(page)
      expect(await page.getByTestId('privacy-off').isChecked()).toBe(true)

      // Without retrain, a tier puts it back, and says so.
      await page.getByTestId('method-retrain').uncheck()
      await page.getByTestId('privacy-cheap').check()
      expect(await page.getByTestId('method-retrain').isChecked()).toBe(true)
      expect(await page.getByTestId('privacy-retrain-added').textContent()).toContain('Retrain was added to the methods')

      // Every tier is priced as the whole audit would cost with it.
      for (const tier of ['cheap', 'standard', 'rigorous'])
        await expect
          .poll(() => page.getByTestId(`privacy-time-${tier}`).textContent())
          .toMatch(/^(about|at least) \d+(\.\d)? (s|min|h) in all$/)

      // Taking retrain away again is refused, on this step, saying what to do; Start is disabled.
      await page.getByTestId('method-retrain').uncheck()
      await expect.poll(() => page.getByTestId('problem-privacy').textContent()).toContain('needs Retrain from scratch among the methods')
      expect(await page.getByTestId('step-3-problems').isVisible()).toBe(true)
      expect(await page.getByTestId('start').isDisabled()).toBe(true)
      await page.getByTestId('method-retrain').check()
      await expect.poll(() => page.getByTestId('problem-privacy').count()).toBe(0)

      // Custom values: an odd K is named as the field's problem.
      await page.getByTestId('privacy-custom').check()
      await page.getByTestId('privacy-k').fill('3')
      await expect.poll(() => page.getByTestId('problem-privacy.referenceModels').textContent()).toContain('even')
      await page.getByTestId('privacy-k').fill('4')
      await expect.poll(() => page.getByTestId('problem-privacy.referenceModels').count()).toBe(0)
      await page.getByTestId('privacy-setting').scrollIntoViewIfNeeded()
      const axe = await new AxeBuilder({ page }).include('[data-testid=privacy-setting]').analyze()
      expect(axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id)).toEqual([])
      await page.screenshot({ path: join(screens, 'privacy-form-light.png') })

      // The review: what the evidence is, and what it adds (K = 4, R = 3: 4 reference models, 2 extra retrains).
      await page.getByTestId('step-5').click()
      expect(await page.getByTestId('review-privacy').textContent()).toBe(
        'Custom: 4 reference models, 3 retrains per cell, 500 forget samples attacked'
      )
      await expect.poll(() => page.getByTestId('planned-runs').textContent()).toContain('9 runs')
      await expect
        .poll(() => page.getByTestId('privacy-cost').textContent())
        .toMatch(/adds 4 reference models\s+and 2 extra retrains to train, and the\s+attacks on every model: about \d+ (s|min|h) of work/)
      expect(errors).toEqual([])
    } finally {
      await context.close()
    }
  }, 60_000)

  it('reads well in dark too', async () => {
    const context = await env.browser.newContext({ viewport: { width: 1280, height: 1000 }, colorScheme: 'dark' })
    const page = await context.newPage()
    try {
      await openMethodsStep(page)
      await page.getByTestId('privacy-standard').check()
      await page.getByTestId('privacy-setting').scrollIntoViewIfNeeded()
      await page.waitForTimeout(600)
      const axe = await new AxeBuilder({ page }).include('[data-testid=privacy-setting]').analyze()
      expect(axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id)).toEqual([])
      await page.screenshot({ path: join(screens, 'privacy-form-dark.png') })
    } finally {
      await context.close()
    }
  })
})
