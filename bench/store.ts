import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { leaderboardRows } from '@shared/charts/leaderboard'
import { AuditStore } from '@main/store/audit-store'

/**
 * The run list and the leaderboard of an audit with 10,000 finished runs (goal: each under 200 ms),
 * read from a real database file as the app reads it: the store's query, then the leaderboard the
 * renderer computes from it. Each is timed as the median of 5 reads after one warm-up read.
 */

const RUNS = 10_000
const METHODS = ['original', 'retrain', 'finetune', 'rem', 'npo', 'gradient-ascent', 'potion', 'del', 'scrub', 'salun']

export interface StoreBench {
  runs: number
  fillSeconds: number
  listMs: number
  leaderboardMs: number
  tasksMs: number
  dbMb: number
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]!
}

function timeMs(fn: () => unknown): number {
  fn()
  const times = Array.from({ length: 5 }, () => {
    const t = performance.now()
    fn()
    return performance.now() - t
  })
  return median(times)
}

export function storeBench(): StoreBench {
  const dir = mkdtempSync(join(tmpdir(), 'bench-store-'))
  const file = join(dir, 'audit.db')
  const store = new AuditStore(file)
  try {
    const t0 = performance.now()
    store.datasets.upsert({
      id: 'fashion-mnist',
      name: 'Fashion-MNIST',
      source: 'builtin',
      sha256: '0'.repeat(64),
      numClasses: 10,
      inputShape: [28, 28, 1]
    })
    const taskId = store.tasks.create({ name: 'bench', spec: { name: 'bench' }, specSha256: '0'.repeat(64), datasetId: 'fashion-mnist' })
    store.transaction(() => {
      for (let i = 0; i < RUNS; i++) {
        const method = METHODS[i % METHODS.length]!
        const seed = Math.floor(i / METHODS.length) % 50
        const cellKey = `discoveryRate=${(1 + (Math.floor(i / 500) % 10)) / 10}`
        const runId = store.runs.create({
          taskId,
          method,
          params: { epochs: 2 },
          seed,
          position: i,
          cell: { key: cellKey, coords: { discoveryRate: Number(cellKey.split('=')[1]) } }
        })
        const x = ((i * 7919) % 1000) / 1000
        store.runs.finish(runId, {
          status: 'done',
          backend: 'wasm',
          steps: 100,
          forgetCount: 100,
          retainCount: 900,
          forgetSha256: '1'.repeat(64),
          metrics: {
            testAccuracy: 0.8 + 0.1 * x,
            retainAccuracy: 0.9,
            forgetAccuracy: 0.2 * x,
            utility: 0.8,
            healedTrain: x,
            seconds: 10 * x,
            perClassAccuracy: Array.from({ length: 10 }, () => x)
          }
        })
      }
    })
    const fillSeconds = (performance.now() - t0) / 1000
    store.close()
    // A fresh connection, as the app has after a restart.
    const reader = new AuditStore(file)
    try {
      const listMs = timeMs(() => reader.runs.list(taskId))
      const runs = reader.runs.list(taskId)
      const leaderboardMs = timeMs(() => leaderboardRows(runs))
      const tasksMs = timeMs(() => reader.tasks.list())
      // The writer's close checkpointed the WAL, so the file holds every page.
      const dbMb = statSync(file).size / 2 ** 20
      return { runs: runs.length, fillSeconds, listMs, leaderboardMs, tasksMs, dbMb }
    } finally {
      reader.close()
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

export function printStoreBench(b: StoreBench): void {
  process.stdout.write(
    `\nOne audit of ${b.runs} finished runs (goal: each read under 200 ms; median of 5)\n\n| list runs (ms) | leaderboard (ms) | list audits (ms) | database (MB) | filled in (s) |\n|---:|---:|---:|---:|---:|\n`
  )
  process.stdout.write(
    `| ${b.listMs.toFixed(1)} | ${b.leaderboardMs.toFixed(1)} | ${b.tasksMs.toFixed(1)} | ${b.dbMb.toFixed(1)} | ${b.fillSeconds.toFixed(1)} |\n`
  )
}

if (process.argv[1]?.endsWith('store.ts')) printStoreBench(storeBench())
