import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { AxeBuilder } from '@axe-core/playwright'
import type { Page } from 'playwright-core'
import { beforeAll, describe, expect, it } from 'vitest'
import type { RunRecord } from '@shared/api/contract'
import { TUNING_OBJECTIVES, type TuningRecord } from '@shared/tuning'
import { useBrowserApp } from '../helpers/browser-app'

/**
 * Tuning in a browser, on the served app's real services: the new-audit form's setting (off by
 * default; on adds retrain for ToW and says so, explains what auto picks for the task kind, refuses
 * what cannot run, and the audit it starts carries `tuning`), the Run detail's Tuning card (every
 * trial, the kept one marked) and the Runs tab's note. axe finds nothing serious in light or dark;
 * test-results/screens/tuning-*.png show them.
 */
const env = useBrowserApp('tuning-form-e2e')
const screens = join(env.screenshots, 'screens')
const tuned = { taskId: '', run: null as RunRecord | null, record: null as TuningRecord | null }

beforeAll(async () => {
  mkdirSync(screens, { recursive: true })
  // A finished tuned audit for the Run detail card (ToW: a class task, with retrain).
  const started = await env.app.services.audits.start({
    name: 'tuned',
    dataset: { id: 'fashion-mnist', trainLimit: 400, testLimit: 100 },
    model: { arch: 'mlp' },
    train: { epochs: 1, batchSize: 64, learningRate: 0.05 },
    task: { kind: 'class', classes: [1] },
    methods: ['retrain', { id: 'finetune', params: { epochs: 1 } }],
    seeds: [0],
    tuning: { trials: 3 }
  })
  await started.done
  const runs = env.app.services.store.runs.list(started.taskId)
  tuned.taskId = started.taskId
  tuned.run = runs.find((r) => r.method === 'finetune')!
  tuned.record = env.app.services.store.tuningTrials.forRuns([tuned.run.id]).get(tuned.run.id)!
}, 120_000)

async function openMethodsStep(page: Page): Promise<void> {
  await page.goto(`${env.app.server.url}#/new`)
  await page.getByTestId('audit-form').waitFor()
  await page.getByTestId('train-limit').fill('300')
  await page.getByTestId('test-limit').fill('100')
  await page.getByTestId('step-3').click()
  await page.getByTestId('tuning-setting').waitFor()
}

const seriousViolations = async (page: Page, selector: string) =>
  (await new AxeBuilder({ page }).include(selector).analyze()).violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => v.id)

describe('the Tuning setting of a new audit', () => {
  it('adds retrain for ToW, explains auto for the task kind, refuses what cannot run, and starts a tuned audit', async () => {
    const context = await env.browser.newContext({ viewport: { width: 1280, height: 1100 } })
    const page = await context.newPage()
    const errors: string[] = []
    page.on('pageerror', (e) => errors.push(e.message))
    try {
      await openMethodsStep(page)
      expect(await page.getByTestId('tuning-off').isChecked()).toBe(true)
      expect(await page.getByTestId('tuning-trials').count()).toBe(0)

      // A forgetting task without retrain: switching tuning on puts retrain back (ToW needs it), and says so.
      await page.getByTestId('method-retrain').uncheck()
      await page.getByTestId('tuning-on').check()
      expect(await page.getByTestId('method-retrain').isChecked()).toBe(true)
      expect(await page.getByTestId('tuning-retrain-added').textContent()).toContain('Retrain was added to the methods')
      expect(await page.getByTestId('tuning-trials').inputValue()).toBe('8')
      expect(await page.getByTestId('tuning-by-auto').isChecked()).toBe(true)
      expect(await page.getByTestId('tuning-setting').textContent()).toContain(`for this forgetting task: ${TUNING_OBJECTIVES.tow.label}`)
      expect(await page.getByTestId('tuning-rule').textContent()).toContain(TUNING_OBJECTIVES.tow.rule)
      // U×H needs corrupted samples: not offered on a forgetting task.
      expect(await page.getByTestId('tuning-by-uxh').isDisabled()).toBe(true)
      expect(await page.getByTestId('tuning-methods').textContent()).toContain('Tuned: finetune (8 trials each); retrain is the reference')

      // Trials outside 2–64 are named as the field's problem.
      await page.getByTestId('tuning-trials').fill('1')
      await expect.poll(() => page.getByTestId('problem-tuning.trials').textContent()).toMatch(/>=\s*2|at least 2|too small/i)
      await page.getByTestId('tuning-trials').fill('65')
      await expect.poll(() => page.getByTestId('problem-tuning.trials').count()).toBe(1)
      await page.getByTestId('tuning-trials').fill('4')
      await expect.poll(() => page.getByTestId('problem-tuning.trials').count()).toBe(0)

      // Taking retrain away again is refused on this step, saying what to do; Start is disabled.
      await page.getByTestId('method-retrain').uncheck()
      await expect.poll(() => page.getByTestId('problem-tuning').textContent()).toContain('Tuning by ToW needs Retrain from scratch')
      expect(await page.getByTestId('step-3-problems').isVisible()).toBe(true)
      expect(await page.getByTestId('start').isDisabled()).toBe(true)
      await page.getByTestId('method-retrain').check()
      await expect.poll(() => page.getByTestId('problem-tuning').count()).toBe(0)

      // On a corrupted task, auto means U×H, which is then offered.
      await page.getByTestId('step-2').click()
      await page.getByTestId('kind-corrupted').check()
      await page.getByTestId('step-3').click()
      expect(await page.getByTestId('tuning-setting').textContent()).toContain(`for this corrupted task: ${TUNING_OBJECTIVES.uxh.label}`)
      expect(await page.getByTestId('tuning-rule').textContent()).toContain(TUNING_OBJECTIVES.uxh.rule)
      expect(await page.getByTestId('tuning-by-uxh').isDisabled()).toBe(false)
      await page.getByTestId('step-2').click()
      await page.getByTestId('kind-random').check()
      await page.getByTestId('step-3').click()

      await page.getByTestId('tuning-setting').scrollIntoViewIfNeeded()
      expect(await seriousViolations(page, '[data-testid=tuning-setting]')).toEqual([])
      await page.getByTestId('tuning-setting').screenshot({ path: join(screens, 'tuning-form-light.png') })

      // The audit the form starts carries the setting; it is cancelled at once (its spec is what is checked).
      await page.getByTestId('step-5').click()
      await page.getByTestId('start').click()
      await page.waitForURL(/#\/audits\/[^/]+/)
      const taskId = decodeURIComponent(/#\/audits\/([^/?]+)/.exec(page.url())![1]!)
      env.app.services.audits.cancel(taskId)
      // Ended before the next test opens its page, so no notice of it lands there.
      await expect.poll(() => env.app.services.audits.isActive(taskId)).toBe(false)
      expect(env.app.services.store.tasks.get(taskId)!.spec.tuning).toEqual({ trials: 4, selectBy: 'auto', validationFraction: 0.1 })
      expect(errors).toEqual([])
    } finally {
      await context.close()
    }
  }, 90_000)

  it('reads well in dark too', async () => {
    const context = await env.browser.newContext({ viewport: { width: 1280, height: 1100 }, colorScheme: 'dark' })
    const page = await context.newPage()
    try {
      await openMethodsStep(page)
      await page.getByTestId('tuning-on').check()
      await page.getByTestId('tuning-setting').scrollIntoViewIfNeeded()
      await page.waitForTimeout(600)
      expect(await seriousViolations(page, '[data-testid=tuning-setting]')).toEqual([])
      await page.getByTestId('tuning-setting').screenshot({ path: join(screens, 'tuning-form-dark.png') })
    } finally {
      await context.close()
    }
  })
})

describe('a tuned run in the workspace', () => {
  for (const scheme of ['light', 'dark'] as const) {
    it(`shows every trial on the Run detail, the kept one marked (${scheme})`, async () => {
      const context = await env.browser.newContext({ viewport: { width: 1280, height: 1000 }, colorScheme: scheme })
      const page = await context.newPage()
      const errors: string[] = []
      page.on('pageerror', (e) => errors.push(e.message))
      try {
        const { run, record } = tuned as { run: RunRecord; record: TuningRecord }
        await page.goto(`${env.app.server.url}#/audits/${tuned.taskId}/run/${run.id}`)
        const card = page.getByTestId('tuning-card')
        await card.waitFor({ timeout: 30_000 })
        expect(await page.getByTestId('tuning-objective').textContent()).toBe(TUNING_OBJECTIVES.tow.label)
        expect(await page.getByTestId('tuning-rule').textContent()).toContain(TUNING_OBJECTIVES.tow.rule)
        expect(await page.getByTestId('tuning-kept').textContent()).toBe(`trial ${record.kept} of 3`)
        const rows = page.getByTestId('tuning-trial')
        expect(await rows.count()).toBe(3)
        for (const t of record.trials) {
          const row = rows.nth(t.trial)
          const text = (await row.textContent())!
          expect(text).toContain(t.objective === null ? '—' : t.objective.toFixed(3))
          if (t.trial === 0) expect(text).toContain('own settings')
          expect(await row.getByTestId('tuning-kept-tag').count()).toBe(t.trial === record.kept ? 1 : 0)
          // The kept row is bold, not only coloured (a page script as text: this project's Node typings have no DOM).
          const weight = await page.evaluate(
            `getComputedStyle(document.querySelectorAll('[data-testid=tuning-trial]')[${t.trial}].querySelector('td')).fontWeight`
          )
          expect(Number(weight) >= 700, `trial ${t.trial} weight ${weight}`).toBe(t.trial === record.kept)
        }
        await card.scrollIntoViewIfNeeded()
        await page.waitForTimeout(400)
        expect(await seriousViolations(page, '[data-testid=tuning-card]')).toEqual([])
        await card.screenshot({ path: join(screens, `tuning-card-${scheme}.png`) })

        // Retrain's detail (not tuned: the reference) has no card.
        const retrain = env.app.services.store.runs.list(tuned.taskId).find((r) => r.method === 'retrain')!
        await page.getByTestId('run-detail-select').selectOption(retrain.id)
        await expect.poll(() => page.getByTestId('tuning-card').count()).toBe(0)

        // The Runs tab names the tuned run and the trial it kept, linking to its detail.
        await page.goto(`${env.app.server.url}#/audits/${tuned.taskId}/runs`)
        const note = page.getByTestId('runs-tuning-note')
        await note.waitFor()
        expect(oneLine((await note.textContent())!)).toContain(
          `Tuned by ${TUNING_OBJECTIVES.tow.label}: finetune · seed 0 kept trial ${record.kept} of 3`
        )
        expect(await seriousViolations(page, '[data-testid=runs-tuning-note]')).toEqual([])
        await note.getByRole('link').click()
        await page.getByTestId('tuning-card').waitFor()
        expect(page.url()).toContain(`/run/${run.id}`)
        expect(errors).toEqual([])
      } finally {
        await context.close()
      }
    }, 60_000)
  }
})

const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim()
