import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

/** The kernels of `native/onednn` (oneDNN through N-API); each works in place on the wasm heap. */
export interface OneDnnAddon {
  conv2d(heap: ArrayBuffer, x: number, filter: number, y: number, dims: Int32Array): void
  conv2dBackpropInput(heap: ArrayBuffer, dy: number, filter: number, dx: number, dims: Int32Array): void
  conv2dBackpropFilter(heap: ArrayBuffer, x: number, dy: number, dw: number, dims: Int32Array): void
  batchMatMul(heap: ArrayBuffer, a: number, b: number, c: number, dims: Int32Array): void
  pool2d(heap: ArrayBuffer, x: number, y: number, dims: Int32Array): void
  pool2dGrad(heap: ArrayBuffer, dy: number, x: number, dx: number, dims: Int32Array): void
  batchNormTraining(
    heap: ArrayBuffer,
    x: number,
    gamma: number,
    beta: number,
    y: number,
    mean: number,
    variance: number,
    dims: Int32Array
  ): void
  batchNormTrainingGrad(
    heap: ArrayBuffer,
    x: number,
    dy: number,
    gamma: number,
    beta: number,
    mean: number,
    variance: number,
    dx: number,
    dGamma: number,
    dBeta: number,
    dims: Int32Array
  ): void
  reluGrad(heap: ArrayBuffer, dy: number, x: number, dx: number, dims: Int32Array): void
  setThreads(threads: number): void
  version(): string
  /** Every primitive built so far and the implementation oneDNN chose for it. */
  implementations(): Record<string, string>
}

/** What a user who lacks the addon should do; printed by the install, the headless command and About. */
export const NATIVE_HINT = 'for native speed install oneDNN (`sudo apt-get install libdnnl-dev`), then run `npm rebuild`'

const ADDON = join('native', 'onednn', 'build', 'Release', 'onednn_kernels.node')

/** The built addon: UNLEARN_NATIVE_ADDON, else the first `native/onednn` build above this module (unpacked from an asar). */
function addonPath(): string | null {
  if (process.env.UNLEARN_NATIVE_ADDON) return process.env.UNLEARN_NATIVE_ADDON
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const candidate = join(dir, ADDON).replace('app.asar/', 'app.asar.unpacked/')
    if (existsSync(candidate)) return candidate
    if (dirname(dir) === dir) return null
  }
}

let loaded: OneDnnAddon | string | null = null

/** The addon, or a one-line reason it is not available here. */
export function loadOneDnn(): OneDnnAddon | string {
  if (loaded) return loaded
  const path = addonPath()
  if (!path) return (loaded = `native: the oneDNN addon is not built; ${NATIVE_HINT}`)
  try {
    loaded = createRequire(__filename)(path) as OneDnnAddon
    const threads = Number(process.env.UNLEARN_NATIVE_THREADS)
    loaded.setThreads(Number.isInteger(threads) && threads > 0 ? threads : 1)
  } catch (err) {
    loaded = `native: the oneDNN addon does not load (${(err as Error).message.split('\n')[0]}); ${NATIVE_HINT}`
  }
  return loaded
}
