import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PNG } from 'pngjs'
import { loadBuiltinDataset } from '@main/engine/data/dataset'
import { importDataset } from '@main/library/datasets/import-dataset'
import { AuditStore } from '@main/store/audit-store'

export interface ImportBench {
  images: number
  seconds: number
  decodedMb: number
  /** Peak of (JS heap + array buffers) above the level before the import. */
  peakExtraMb: number
  peakRssExtraMb: number
}

/**
 * Imports Fashion-MNIST's 60,000 training images written out as a folder of PNGs (one folder per
 * class), and samples memory while it runs: the goal is at most 1.5× the decoded size.
 */
export async function datasetImportBench(root: string): Promise<ImportBench> {
  const work = mkdtempSync(join(tmpdir(), 'ua-bench-import-'))
  try {
    const data = await loadBuiltinDataset(join(root, 'resources'), 'fashion-mnist', { testLimit: 1 })
    const source = join(work, 'fashion-png')
    for (let c = 0; c < 10; c++) mkdirSync(join(source, `class-${c}`), { recursive: true })
    const png = new PNG({ width: 28, height: 28, colorType: 0, inputColorType: 0, bitDepth: 8 })
    for (let i = 0; i < data.train.count; i++) {
      const rgba = Buffer.alloc(784 * 4)
      for (let p = 0; p < 784; p++)
        rgba.fill(Math.round(data.train.images[i * 784 + p]! * 255), p * 4, p * 4 + 3).writeUInt8(255, p * 4 + 3)
      png.data = rgba
      writeFileSync(join(source, `class-${data.train.labels[i]}`, `${i}.png`), PNG.sync.write(png))
    }
    const images = data.train.count
    const decodedBytes = images * 784
    const store = new AuditStore(join(work, 'audit.db'))
    ;(globalThis as { gc?: () => void }).gc?.()
    const used = () => {
      const m = process.memoryUsage()
      return { js: m.heapUsed + m.arrayBuffers, rss: m.rss }
    }
    const base = used()
    let peak = base
    const sampler = setInterval(() => {
      const now = used()
      peak = { js: Math.max(peak.js, now.js), rss: Math.max(peak.rss, now.rss) }
    }, 20)
    const t = performance.now()
    const result = await importDataset({ store, dataDir: join(work, 'data') }, [source], { name: 'fashion-png' })
    const seconds = (performance.now() - t) / 1000
    clearInterval(sampler)
    store.close()
    if (result.dataset.trainSize + result.dataset.testSize !== images)
      throw new Error(`imported ${result.dataset.trainSize + result.dataset.testSize} of ${images} images`)
    return {
      images,
      seconds,
      decodedMb: decodedBytes / 2 ** 20,
      peakExtraMb: (peak.js - base.js) / 2 ** 20,
      peakRssExtraMb: (peak.rss - base.rss) / 2 ** 20
    }
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

export function printImportBench(b: ImportBench): void {
  process.stdout.write(
    `\nDataset import (${b.images} Fashion-MNIST PNGs in class folders; goal: extra memory ≤ 1.5 × the decoded size)\n\n`
  )
  process.stdout.write(
    '| images | seconds | images/s | decoded (MB) | peak extra heap + buffers (MB) | ratio | peak extra RSS (MB) |\n|---:|---:|---:|---:|---:|---:|---:|\n'
  )
  process.stdout.write(
    `| ${b.images} | ${b.seconds.toFixed(1)} | ${(b.images / b.seconds).toFixed(0)} | ${b.decodedMb.toFixed(1)} | ${b.peakExtraMb.toFixed(1)} | ${(b.peakExtraMb / b.decodedMb).toFixed(2)} | ${b.peakRssExtraMb.toFixed(1)} |\n`
  )
}
