import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { useBrowserApp } from '../helpers/browser-app'

const env = useBrowserApp('zoo-form')

const step = (page: Page, n: number) => page.getByTestId(`step-${n}`).click()

describe('New audit: a ResNet at a width, trained with augmentation', () => {
  it('offers the ResNets, takes a width and the crops and flips, names a bad width, and the review says what will train', async () => {
    const page = await env.browser.newPage({ viewport: { width: 1200, height: 1000 } })
    await page.goto(`${env.app.server.url}#/new`)
    await page.getByTestId('audit-form').waitFor()
    await page.getByTestId('arch').click()
    await page.getByRole('option', { name: 'resnet-18', exact: true }).click()
    // A width out of range is named under its field, in the server's words.
    await page.getByTestId('width').fill('3')
    await expect.poll(async () => page.getByTestId('problem-model.width').textContent(), { timeout: 10_000 }).toMatch(/^model\.width: /)
    await page.getByTestId('width').fill('0.25')
    await expect.poll(() => page.getByTestId('problem-model.width').count()).toBe(0)
    await page.screenshot({ path: join(env.screenshots, 'zoo-form-model.png') })

    await step(page, 4)
    await page.getByTestId('augment-crop').fill('4')
    await page.getByTestId('augment-flip').check()
    await expect.poll(() => page.locator('.p-checkbox-checked:has([data-testid=augment-flip])').count()).toBe(1)
    await page.screenshot({ path: join(env.screenshots, 'zoo-form-training.png'), fullPage: true })
    await step(page, 5)
    await expect
      .poll(async () => page.getByTestId('review-summary').textContent())
      .toMatch(
        /resnet-18 at width 0\.25, trained here for \d+ epochs \(sgd, learning rate [\d.]+, cosine, random crops \(4 px\) and flips\)/
      )
  }, 120_000)
})
