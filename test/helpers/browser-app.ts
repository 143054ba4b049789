import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll } from 'vitest'
import { launchChromium } from './chromium'
import { startServedApp } from './served-app'
import { makeTempDir } from './tmp'

/** Where browser tests save their screenshots (git-ignored). */
export const SCREENSHOTS = join(__dirname, '..', '..', 'test-results')

/**
 * The served app (real services, loopback transport) and the bundled Chromium for one test file:
 * started before its tests, stopped after, with a data folder of its own.
 */
export function useBrowserApp(name: string) {
  const tmp = makeTempDir(name)
  const env = { tmp, screenshots: SCREENSHOTS } as {
    tmp: typeof tmp
    screenshots: string
    app: Awaited<ReturnType<typeof startServedApp>>
    browser: Browser
  }
  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true })
    env.app = await startServedApp(tmp.dir)
    env.browser = await launchChromium()
  }, 120_000)
  afterAll(async () => {
    await env.browser?.close()
    await env.app?.stop()
    tmp.cleanup()
  })
  return env
}
