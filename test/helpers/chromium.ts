import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import Chromium from '@sparticuz/chromium'
import { chromium, type Browser } from 'playwright-core'

const ROOT = join(__dirname, '..', '..')

/**
 * The Chromium that `npm install` brings: @sparticuz/chromium ships a headless build, brotli-packed, inside
 * its npm tarball. It is unpacked once into node_modules/.cache (per package version), through a scratch
 * folder renamed into place, so a run killed mid-unpack never leaves a half-written browser behind.
 */
async function bundledChromium(): Promise<string> {
  const { version } = JSON.parse(readFileSync(join(ROOT, 'node_modules', '@sparticuz', 'chromium', 'package.json'), 'utf8')) as {
    version: string
  }
  const dir = join(ROOT, 'node_modules', '.cache', 'unlearning-audit', `chromium-${version}`)
  const binary = join(dir, 'chromium')
  if (existsSync(binary)) return binary
  const scratch = `${dir}.${process.pid}.partial`
  rmSync(scratch, { recursive: true, force: true })
  mkdirSync(scratch, { recursive: true })
  // The package unpacks into os.tmpdir(), which reads TMPDIR at each call: point it at the scratch folder.
  const tmpdir = process.env.TMPDIR
  process.env.TMPDIR = scratch
  try {
    await Chromium.executablePath()
  } finally {
    if (tmpdir === undefined) delete process.env.TMPDIR
    else process.env.TMPDIR = tmpdir
  }
  try {
    renameSync(scratch, dir)
  } catch (err) {
    // Another test process got there first: its copy is complete, ours is not needed.
    rmSync(scratch, { recursive: true, force: true })
    if (!existsSync(binary)) throw err
  }
  return binary
}

/**
 * Headless Chromium for the browser tests, with its own background traffic (updates, sync) switched off.
 * UNLEARN_TEST_CHROMIUM may point at another Chromium binary; by default it is the one from npm.
 */
export async function launchChromium(): Promise<Browser> {
  const executablePath = process.env.UNLEARN_TEST_CHROMIUM || (await bundledChromium())
  return chromium.launch({
    executablePath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run'
    ]
  })
}
