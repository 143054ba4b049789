import { cpSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchChromium } from '../helpers/chromium'
import { runAuditCli } from '../helpers/run-cli'
import { startServedApp } from '../helpers/served-app'
import { makeTempDir } from '../helpers/tmp'

const tmp = makeTempDir('e2e-shards')
let app: Awaited<ReturnType<typeof startServedApp>>
let browser: Browser

beforeAll(async () => {
  app = await startServedApp(join(tmp.dir, 'app'))
  browser = await launchChromium()
}, 120_000)

afterAll(async () => {
  await browser?.close()
  await app?.stop()
  tmp.cleanup()
})

describe('shard results dropped on the window', () => {
  it('say which shards are missing, then merge into one audit once all are there', async () => {
    // Two shards of a tiny audit, run by the command line as two machines would.
    const task = join(tmp.dir, 'task.json')
    writeFileSync(
      task,
      JSON.stringify({
        name: 'sharded on two machines',
        dataset: { id: 'fashion-mnist', trainLimit: 200, testLimit: 50 },
        model: { arch: 'mlp' },
        train: { epochs: 1, batchSize: 64, learningRate: 0.05 },
        task: { kind: 'random', fraction: 0.1 },
        methods: ['finetune'],
        seeds: [0, 1]
      })
    )
    expect(
      (await runAuditCli(['plan', task, '--shards', '2', '--out', join(tmp.dir, 'plan'), '--db', join(tmp.dir, 'plan.db')])).code
    ).toBe(0)
    for (const k of [1, 2])
      expect(
        (await runAuditCli(['run-shard', join(tmp.dir, 'plan', `shard-${k}.json`), '--out', join(tmp.dir, 'results', String(k))])).code
      ).toBe(0)
    // The folder as it comes back from one machine: shard 2 only (database and models included).
    const partial = join(tmp.dir, 'partial', 'results')
    mkdirSync(partial, { recursive: true })
    cpSync(join(tmp.dir, 'results', '2'), join(partial, '2'), { recursive: true })

    const page = await browser.newPage({ viewport: { width: 1200, height: 1000 } })
    await page.goto(app.server.url)
    await page.getByTestId('nav-library').click()
    await page.getByTestId('library-page').waitFor()
    await page.getByTestId('pick-folder').setInputFiles(partial)
    await page.getByTestId('import-panel').waitFor()
    expect(await page.getByTestId('import-kind-shards').isChecked()).toBe(true)
    // Only each shard's shard.json and bundle.zip are sent, not its database or models.
    expect(await page.getByTestId('import-panel').locator('h2').textContent()).toMatch(/Import 2 files/)
    await page.getByTestId('import-start').click()
    await page.getByTestId('import-shards-missing').waitFor({ timeout: 60_000 })
    expect(await page.getByTestId('import-shards-missing').textContent()).toMatch(/shard 2 of 2 here; missing: 1\./)

    await page.getByTestId('pick-folder').setInputFiles(join(tmp.dir, 'results'))
    await page.getByTestId('import-start').click()
    await page.getByTestId('import-shards-result').waitFor({ timeout: 60_000 })
    expect(await page.getByTestId('import-shards-result').textContent()).toMatch(/Merged: audit sharded on two machines from its 2 shards/)
    await page.getByTestId('open-merged-audit').click()
    await page.getByTestId('tab-runs').click()
    await page.getByTestId('runs-table').waitFor()
    expect(await page.getByTestId('runs-table').locator('tbody tr').count()).toBe(4)
    await page.close()
  }, 240_000)
})
