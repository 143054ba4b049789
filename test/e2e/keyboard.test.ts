import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { useBrowserApp } from '../helpers/browser-app'

/**
 * A new user with the keyboard only (Tab, Shift+Tab, Enter, Space, arrows, typing; never a click):
 * New audit, the Quickstart preset made small, start, watch it run, the Leaderboard, a run's detail,
 * and the PDF. Every control on the way is reached by Tab, so each must be focusable, and each shows
 * its focus (the controls that show none are printed).
 */

const env = useBrowserApp('e2e-keyboard')
const unfocusable: string[] = []

// Page scripts are text: this project's Node typings have no DOM.
/** The focused element: its own or nearest data-testid, its text, and whether its focus can be seen. */
const FOCUSED = `(() => {
  const el = document.activeElement
  if (!el || el === document.body) return null
  const holder = el.closest('[data-testid]')
  // PrimeVue draws the ring of a checkbox or radio on the box beside its hidden input, of a select on its root.
  const ring = (e) => {
    if (!e) return false
    const s = getComputedStyle(e)
    return (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== 'none'
  }
  const shown = ring(el) || ring(el.nextElementSibling) || ring(el.parentElement)
  return {
    testids: [el.getAttribute('data-testid'), holder && holder.getAttribute('data-testid')].filter(Boolean),
    text: (el.getAttribute('aria-label') || el.textContent || '').trim().slice(0, 80),
    tag: el.tagName.toLowerCase(),
    shown
  }
})()`

interface Focused {
  testids: string[]
  text: string
  tag: string
  shown: boolean
}

/** Presses Tab (or Shift+Tab) until the focus is on what `match` wants; fails after `max` presses. */
async function tabTo(page: Page, what: string, match: (f: Focused) => boolean, max = 150): Promise<void> {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press(i < max / 2 ? 'Tab' : 'Shift+Tab')
    const f = (await page.evaluate(FOCUSED)) as Focused | null
    if (!f) continue
    if (!f.shown) unfocusable.push(`${f.tag} ${f.testids.join('/')} "${f.text}"`)
    if (match(f)) return
  }
  throw new Error(`Tab never reached ${what}`)
}

const byTestId = (id: string) => (f: Focused) => f.testids.includes(id)
const present = async (page: Page, id: string) =>
  (await page.getByTestId(id).count()) > 0 && (await page.getByTestId(id).first().isVisible())

/** Types a number into a field reached by Tab, if this step of the form has it. */
async function typeNumber(page: Page, id: string, value: number, done: Set<string>): Promise<void> {
  if (done.has(id) || !(await present(page, id))) return
  await tabTo(page, id, byTestId(id))
  await page.keyboard.press('Control+A')
  await page.keyboard.type(String(value))
  done.add(id)
}

describe('the whole way with the keyboard only', () => {
  it('sets up the Quickstart preset, starts it, opens the leaderboard and a run, and exports the PDF', async () => {
    const page = await env.browser.newPage({ viewport: { width: 1280, height: 900 } })
    await page.goto(env.app.server.url)
    await page.getByTestId('nav-new-audit').waitFor()

    await tabTo(page, 'New audit in the navigation', byTestId('nav-new-audit'))
    await page.keyboard.press('Enter')
    await page.getByTestId('new-audit-page').waitFor()
    await expect.poll(() => page.url()).toContain('#/new')

    // The preset: a button or a radio named Quickstart.
    await tabTo(page, 'the Quickstart preset', (f) => f.testids.some((t) => /preset-quickstart/.test(t)) || /^quickstart\b/i.test(f.text))
    await page.keyboard.press('Space')

    // Small sizes, step by step where the form has steps, then Start.
    const sizes: Array<[string, number]> = [
      ['train-limit', 300],
      ['test-limit', 100],
      ['epochs', 1]
    ]
    const typed = new Set<string>()
    for (let step = 0; step < 8 && !(await present(page, 'start')); step++) {
      for (const [id, value] of sizes) await typeNumber(page, id, value, typed)
      if (!(await present(page, 'step-next'))) break
      await tabTo(page, 'the next step', byTestId('step-next'))
      await page.keyboard.press('Enter')
      await page.waitForTimeout(200)
    }
    for (const [id, value] of sizes) await typeNumber(page, id, value, typed)
    expect([...typed].sort()).toEqual(['epochs', 'test-limit', 'train-limit'])
    await tabTo(page, 'Start', byTestId('start'))
    await page.keyboard.press('Enter')

    // The workspace opens on the new audit; its progress moves until every run has ended.
    await page.getByTestId('workspace').waitFor({ timeout: 30_000 })
    const task = env.app.services.store.tasks.list()[0]!
    expect(task.spec.dataset.trainLimit).toBe(300)
    expect(task.spec.dataset.testLimit).toBe(100)
    expect(task.spec.train.epochs).toBe(1)
    await expect
      .poll(() => env.app.services.store.runs.list(task.id).every((r) => r.status === 'done'), { timeout: 300_000, interval: 1000 })
      .toBe(true)

    await tabTo(page, 'the Leaderboard tab', byTestId('tab-leaderboard'))
    await page.keyboard.press('Enter')
    await expect.poll(() => page.url()).toContain('/leaderboard')
    await page.getByTestId('leaderboard').first().waitFor({ timeout: 30_000 })

    await tabTo(page, 'the Run detail tab', byTestId('tab-run'))
    await page.keyboard.press('Enter')
    await expect.poll(() => page.url()).toMatch(/\/run(\/|$)/)

    await tabTo(page, 'the Report tab', byTestId('tab-report'))
    await page.keyboard.press('Enter')
    await expect.poll(() => page.url()).toContain('/report')
    await tabTo(page, 'Export PDF', byTestId('export-pdf'))
    await page.keyboard.press('Enter')
    await expect.poll(async () => page.getByTestId('report-path').textContent(), { timeout: 60_000 }).toMatch(/\.pdf/)
    await page.screenshot({ path: join(env.screenshots, 'keyboard-report.png') })
    process.stdout.write(
      `Focused with no outline or shadow (perhaps a border colour only):\n  ${[...new Set(unfocusable)].join('\n  ') || 'none'}\n`
    )
    await page.close()
  }, 600_000)
})
