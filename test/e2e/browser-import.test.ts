import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServedApp } from '../helpers/served-app'
import { launchChromium } from '../helpers/chromium'
import { makeTempDir } from '../helpers/tmp'

const tmp = makeTempDir('e2e-import')
const fixtures = join(__dirname, '..', 'fixtures')
let app: Awaited<ReturnType<typeof startServedApp>>
let browser: Browser

beforeAll(async () => {
  mkdirSync(join(__dirname, '..', '..', 'test-results'), { recursive: true })
  app = await startServedApp(tmp.dir)
  browser = await launchChromium()
}, 120_000)

afterAll(async () => {
  await browser?.close()
  await app?.stop()
  tmp.cleanup()
})

/** The labels of a PrimeVue Select's options, opened for the reading and closed again. */
async function optionLabels(page: Page, testid: string): Promise<string[]> {
  await page.getByTestId(testid).click()
  const options = page.getByRole('option')
  await options.first().waitFor()
  const labels = await options.evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? ''))
  await page.keyboard.press('Escape')
  return labels
}

describe('bringing a model and a dataset in through the window', () => {
  it('imports a dropped model folder and lists it with its measured test accuracy', async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 1000 } })
    await page.goto(app.server.url)
    await page.getByTestId('nav-library').click()
    await page.getByTestId('library-page').waitFor()
    await page.getByTestId('pick-folder').setInputFiles(join(fixtures, 'models', 'valid'))
    await expect.poll(() => page.getByTestId('import-panel').textContent()).toMatch(/Import 2 files/)
    // A folder with a model.json is taken for a model without being told.
    expect(await page.getByTestId('import-kind-model').isChecked()).toBe(true)
    await page.getByTestId('import-name').fill('my classifier')
    await page.getByTestId('import-start').click()
    const result = page.getByTestId('import-model-result')
    await result.waitFor({ timeout: 120_000 })
    expect(await result.textContent()).toMatch(/Imported: my classifier, test accuracy \d+\.\d\d % on fashion-mnist/)

    const stored = app.services.store.models.listLibrary()
    expect(stored).toHaveLength(1)
    const row = page.getByTestId('model-row')
    expect(await row.textContent()).toContain('my classifier')
    expect(await row.getByTestId('model-accuracy').textContent()).toBe(`${(100 * stored[0]!.testAccuracy!).toFixed(2)} %`)
    // It has no Mnemonic codes: the form offers to fine-tune it with codes, which Mnemonic unlearning needs.
    expect(await row.getByTestId('model-codes').textContent()).toBe('no')
    // The form offers it as the original of an audit on its dataset.
    await page.getByTestId('nav-new-audit').click()
    await page.getByTestId('audit-form').waitFor()
    const label = `my classifier (${stored[0]!.sha256.slice(0, 8)})`
    expect(await optionLabels(page, 'arch')).toContain(label)
    await page.getByTestId('arch').click()
    await page.getByRole('option', { name: label, exact: true }).click()
    await page.getByTestId('step-2').click()
    await page.getByTestId('kind-class').check()
    expect(await page.getByTestId('audit-form').textContent()).toContain('Fine-tuning the imported model with Mnemonic codes')
    await page.getByTestId('step-4').click()
    await page.getByTestId('codes-tmix').fill('0')
    await page.getByTestId('step-3').click()
    expect(await page.getByTestId('method-mnemonic').isDisabled()).toBe(true)
    await page.getByTestId('step-4').click()
    await page.getByTestId('codes-tmix').fill('0.1')
    await page.getByTestId('step-3').click()
    await expect.poll(() => page.getByTestId('method-mnemonic').isDisabled()).toBe(false)
    await page.close()
  }, 180_000)

  it('lists unreadable images of a dropped dataset, imports the rest on request, and deletes it after asking', async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 1000 } })
    await page.goto(app.server.url)
    await page.getByTestId('nav-library').click()
    await page.getByTestId('library-page').waitFor()
    await page.getByTestId('pick-folder').setInputFiles(join(fixtures, 'datasets', 'non-image-among-images'))
    await page.getByTestId('import-panel').waitFor()
    expect(await page.getByTestId('import-kind-dataset').isChecked()).toBe(true)
    await page.getByTestId('import-start').click()
    const error = page.getByTestId('import-error')
    await error.waitFor()
    expect(await error.textContent()).toMatch(/1 file could not be read:\s+vertical\/notes\.png: not a PNG or JPEG image/)
    expect(app.services.store.datasets.listLibrary()).toEqual([])

    await page.getByTestId('import-skip-unreadable').click()
    const result = page.getByTestId('import-dataset-result')
    await result.waitFor()
    const text = (await result.textContent()) ?? ''
    expect(text).toMatch(/Imported: non-image-among-images \(non-image-among-images-[0-9a-f]{8}\), 12×12×1/)
    expect(text).toContain('vertical/notes.png: not a PNG or JPEG image')
    expect(await result.locator('canvas').count()).toBe(6)
    await page.screenshot({ path: join(__dirname, '..', '..', 'test-results', 'import-dataset.png') })
    const id = app.services.store.datasets.listLibrary()[0]!.id
    // The new-audit form offers it.
    await page.getByTestId('nav-new-audit').click()
    await page.getByTestId('audit-form').waitFor()
    await expect.poll(() => optionLabels(page, 'dataset')).toContain('non-image-among-images')

    await page.getByTestId('nav-library').click()
    await page.getByTestId('library').waitFor()
    expect(await page.getByTestId('dataset-row').count()).toBe(2)
    // The library asks first, in its own dialog.
    await page.getByRole('button', { name: 'Delete dataset non-image-among-images' }).click()
    const dialog = page.getByRole('alertdialog')
    await dialog.waitFor()
    const asked = (await dialog.textContent()) ?? ''
    await dialog.getByRole('button', { name: 'Delete', exact: true }).click()
    await expect.poll(() => page.getByTestId('dataset-row').count()).toBe(1)
    expect(asked).toMatch(/Delete the dataset "non-image-among-images" and its files\?/)
    expect(app.services.store.datasets.find(id)?.deletedAt).toBeGreaterThan(0)
    await page.close()
  }, 120_000)

  it('saves the report settings, exports a bundle, and shows it read-only in another copy after a drop', async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 1000 } })
    await page.goto(app.server.url)
    await page.getByTestId('nav-settings').click()
    await page.getByTestId('settings').waitFor()
    await page.getByTestId('settings-auditor').fill('Ana Šimić')
    await page.getByTestId('settings-page-size').getByText('Letter', { exact: true }).click()
    await page.getByTestId('settings-save').click()
    await page.getByTestId('settings-saved').waitFor()
    expect(app.services.store.settings.read()).toEqual({ auditorName: 'Ana Šimić', organisation: '', pageSize: 'Letter' })

    const { taskId, done } = await app.services.audits.start({
      name: 'to share',
      dataset: { id: 'fashion-mnist', trainLimit: 300, testLimit: 100 },
      model: { arch: 'mlp' },
      train: { epochs: 1, batchSize: 64, learningRate: 0.05 },
      task: { kind: 'class', classes: [1] },
      methods: ['finetune'],
      seeds: [0]
    })
    await done
    await page.reload()
    await page.getByTestId('nav-audits').click()
    await page.getByTestId('audit-link').filter({ hasText: 'to share' }).click()
    await page.waitForURL(new RegExp(`#/audits/${taskId}/overview$`))
    await page.getByTestId('tab-report').click()
    await page.getByTestId('export-bundle').click()
    const saved = page.getByTestId('bundle-path')
    await saved.waitFor({ timeout: 60_000 })
    const bundle = /Saved (\S+\.audit-bundle\.zip)/.exec((await saved.textContent()) ?? '')![1]!
    await page.close()

    const other = makeTempDir('e2e-copy')
    const copy = await startServedApp(other.dir)
    try {
      const copyPage = await browser.newPage({ viewport: { width: 1200, height: 1000 } })
      await copyPage.goto(copy.server.url)
      await copyPage.getByTestId('nav-library').click()
      await copyPage.getByTestId('library-page').waitFor()
      await copyPage.getByTestId('pick-files').setInputFiles(bundle)
      await copyPage.getByTestId('import-panel').waitFor()
      expect(await copyPage.getByTestId('import-kind-bundle').isChecked()).toBe(true)
      await copyPage.getByTestId('import-start').click()
      await copyPage.getByTestId('import-bundle-result').waitFor({ timeout: 60_000 })
      expect(await copyPage.getByTestId('import-bundle-result').textContent()).toMatch(
        /Imported: audit to share, 2 runs, 0 model\(s\) with their files/
      )
      await copyPage.getByTestId('open-imported-audit').click()
      await copyPage.getByTestId('audit-origin').waitFor()
      await copyPage.getByTestId('tab-runs').click()
      await copyPage.getByTestId('runs-table').waitFor()
      expect(await copyPage.getByTestId('runs-table').locator('tbody tr').count()).toBe(2)
      expect(copy.services.store.runs.list(taskId).map((r) => r.metrics.testAccuracy)).toEqual(
        app.services.store.runs.list(taskId).map((r) => r.metrics.testAccuracy)
      )
      await copyPage.close()
    } finally {
      await copy.stop()
      other.cleanup()
    }
  }, 180_000)
})
