import { join } from 'node:path'
import { AxeBuilder } from '@axe-core/playwright'
import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { useBrowserApp } from '../helpers/browser-app'

const env = useBrowserApp('e2e-audits-page')

/** A tiny audit (seconds); `trainLimit` larger for one that must be seen running. */
const spec = (name: string, trainLimit = 300, epochs = 1) => ({
  name,
  dataset: { id: 'fashion-mnist', trainLimit, testLimit: 100 },
  model: { arch: 'mlp' },
  train: { epochs, batchSize: 64, learningRate: 0.05 },
  task: { kind: 'class', classes: [1] },
  methods: ['retrain', 'finetune'],
  seeds: [0]
})

/**
 * axe's serious and critical violations on what the page shows now. Colour contrast is left to the
 * app-wide check (test/e2e/accessibility.test.ts): it depends on the theme's primary and toast colours, not on this page.
 */
async function axeViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).disableRules(['color-contrast']).analyze()
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => `${n.target.join(' ')}: ${n.failureSummary}`).join(', ')})`)
}

const rows = (page: Page) => page.getByTestId('audits-table').locator('tbody tr.audit-row')
const rowOf = (page: Page, name: string) => rows(page).filter({ has: page.getByTestId('audit-link').getByText(name, { exact: true }) })

describe('the Audits page, in a browser against the real services', () => {
  it('lists finished audits with their verdicts, searches, duplicates, deletes after asking, and shows long work', async () => {
    // axe opens a page of its own in the page's context: the page gets a context of its own.
    const context = await env.browser.newContext({ viewport: { width: 1400, height: 900 } })
    const page = await context.newPage()
    const consoleErrors: string[] = []
    page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()))
    await page.goto(`${env.app.server.url}#/audits`)

    // Nothing yet: the page points to New audit.
    await page.getByTestId('audits-empty').waitFor()
    expect(await page.getByTestId('audits-empty-new').getAttribute('href')).toContain('#/new')
    expect(await page.title()).toBe('Unlearning Audit')

    // Two audits finish while the page is open: their events bring them in, with their verdicts.
    for (const name of ['alpha audit', 'beta audit']) {
      const { done } = await env.app.services.audits.start(spec(name))
      await done
    }
    await expect.poll(() => rows(page).count(), { timeout: 30_000 }).toBe(2)
    // Each one said so in a toast, with a way to open it.
    const ended = page.getByTestId('audit-ended')
    await expect
      .poll(() => ended.allTextContents())
      .toEqual([expect.stringContaining('Audit finished'), expect.stringContaining('Audit finished')])
    expect((await ended.allTextContents()).join()).toContain('beta audit: 3 of 3 runs done')
    const alpha = env.app.services.store.tasks.list().find((t) => t.name === 'alpha audit')!
    expect(alpha.verdict).toEqual(expect.any(String))
    await expect.poll(() => rowOf(page, 'alpha audit').getByTestId('audit-verdict').textContent()).toBe(alpha.verdict)
    expect(await rowOf(page, 'alpha audit').getByTestId('audit-status').textContent()).toContain('done')
    expect(await rowOf(page, 'alpha audit').textContent()).toContain('3 / 3')
    await page.screenshot({ path: join(env.screenshots, 'audits-page.png'), fullPage: true })
    expect(await axeViolations(page)).toEqual([])

    // Search narrows the list, and says when nothing matches.
    await page.getByTestId('audits-search').fill('beta')
    await expect.poll(() => rows(page).count()).toBe(1)
    expect(await rows(page).getByTestId('audit-link').textContent()).toBe('beta audit')
    await page.getByTestId('audits-search').fill('no such audit')
    await page.getByTestId('audits-no-match').waitFor()
    await page.getByTestId('audits-search').fill('')
    await expect.poll(() => rows(page).count()).toBe(2)

    // Keyboard: from the search box, Tab reaches the first audit's link.
    await page.getByTestId('audits-search').focus()
    let reached = false
    for (let i = 0; i < 30 && !reached; i++) {
      await page.keyboard.press('Tab')
      reached = (await page.locator(':focus').getAttribute('data-testid')) === 'audit-link'
    }
    expect(reached).toBe(true)

    // Duplicate: the new-audit form, told which audit to start from.
    await rowOf(page, 'alpha audit').getByTestId('audit-duplicate').click()
    await expect.poll(() => page.url()).toContain(`#/new?from=${alpha.id}`)
    await page.goto(`${env.app.server.url}#/audits`)
    await expect.poll(() => rows(page).count()).toBe(2)

    // Delete asks first; keeping it changes nothing, confirming removes the row and the rows behind it.
    const beta = env.app.services.store.tasks.list().find((t) => t.name === 'beta audit')!
    await rowOf(page, 'beta audit').getByTestId('audit-delete').click()
    const dialog = page.getByRole('alertdialog').or(page.getByRole('dialog'))
    await dialog.waitFor()
    expect(await dialog.textContent()).toContain('"beta audit" and its 3 runs')
    await page.screenshot({ path: join(env.screenshots, 'audits-page-delete.png') })
    await dialog.getByRole('button', { name: 'Keep' }).click()
    await dialog.waitFor({ state: 'hidden' })
    expect(await rows(page).count()).toBe(2)
    await rowOf(page, 'beta audit').getByTestId('audit-delete').click()
    await dialog.getByRole('button', { name: 'Delete' }).click()
    await expect.poll(() => rows(page).count()).toBe(1)
    expect(env.app.services.store.tasks.get(beta.id)).toBeNull()
    expect(env.app.services.store.auditLog.entries().at(-1)).toMatchObject({ kind: 'deleted', subject: beta.id })

    // Export PDF from the list: a toast names the file written.
    await rowOf(page, 'alpha audit').getByTestId('audit-export-pdf').click()
    await expect.poll(() => page.getByText(/audit-.*\.pdf/).count(), { timeout: 60_000 }).toBeGreaterThan(0)

    // A long audit: the window title follows it, its row shows progress and an ETA, it cannot be deleted,
    // and a toast says when it ends (here cancelled, so the test does not wait for it).
    const started = await env.app.services.audits.start(spec('gamma audit', 20_000, 20))
    await expect.poll(() => page.title(), { timeout: 60_000 }).toMatch(/^\d+ % · gamma audit — Unlearning Audit$/)
    await rowOf(page, 'gamma audit').getByTestId('audit-progress').waitFor()
    expect(await rowOf(page, 'gamma audit').getByTestId('audit-status').textContent()).toContain('running')
    await rowOf(page, 'gamma audit').getByTestId('audit-delete').click()
    await page.getByText('A running audit cannot be deleted').waitFor()
    expect(env.app.services.store.tasks.get(started.taskId)).not.toBeNull()
    await expect.poll(() => rowOf(page, 'gamma audit').getByTestId('audit-status').textContent(), { timeout: 60_000 }).toMatch(/left/)
    await page.screenshot({ path: join(env.screenshots, 'audits-page-running.png') })
    expect(env.app.services.audits.cancel(started.taskId)).toBe(true)
    await started.done
    const cancelled = ended.filter({ hasText: 'gamma audit' })
    await cancelled.waitFor({ timeout: 30_000 })
    expect(await cancelled.textContent()).toContain('Audit cancelled')
    await expect.poll(() => page.title()).toBe('Unlearning Audit')
    await cancelled.getByTestId('audit-ended-open').click()
    await expect.poll(() => page.url()).toContain(`#/audits/${started.taskId}/overview`)
    // Its cancelled runs can be run again from the workspace; finished ones are kept.
    await page.getByTestId('retry-ended').click()
    await expect.poll(() => env.app.services.audits.isActive(started.taskId)).toBe(true)
    expect(env.app.services.store.runs.list(started.taskId).filter((r) => r.status === 'cancelled')).toEqual([])
    env.app.services.audits.cancel(started.taskId)
    await expect.poll(() => env.app.services.audits.isActive(started.taskId), { timeout: 30_000 }).toBe(false)

    // Dark mode, for the eye.
    await page.emulateMedia({ colorScheme: 'dark' })
    await page.goto(`${env.app.server.url}#/audits`)
    await expect.poll(() => rows(page).count()).toBe(2)
    await page.waitForTimeout(500)
    await page.screenshot({ path: join(env.screenshots, 'audits-page-dark.png'), fullPage: true })
    expect(await axeViolations(page)).toEqual([])

    expect(
      consoleErrors.filter((e) => !e.includes('favicon')),
      consoleErrors.join('\n')
    ).toEqual([])
    await context.close()
  }, 300_000)
})
