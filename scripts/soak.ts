import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createNodeServices } from '@main/cli/node-services'
import type { JobResult } from '@main/engine/protocol'

/**
 * `npm run test:soak`: 200 tiny runs through the real services (store, engine process, metrics,
 * model files), one after another, with the engine's live tensors and both processes' resident
 * memory read after every run. Exits 1 if memory grows: tensors must come back to the same count
 * after every run, and resident memory may not climb between the second and the last fifth.
 */

const SEEDS = 40
// One of each kind of work: REM (widened models, masks), DEL (localization, masked finetuning),
// Mnemonic (Fisher from codes) and SSD (importance), kept small so 200 runs fit in CI.
const METHODS = [
  { id: 'rem', params: { rounds: 2 } },
  { id: 'del', params: { epochs: 1 } },
  { id: 'mnemonic', params: {} },
  { id: 'ssd', params: {} }
]
// Allowed growth of resident memory between the second fifth of the runs and the last: room for
// allocator noise (1 MB measured), far below what a leak of one small model per run would add.
const RSS_SLACK_MB = 20

interface Sample {
  run: number
  method: string
  engineRssMb: number
  engineTensors: number
  engineHeapMb: number
  mainRssMb: number
}

const mb = (bytes: number) => bytes / 2 ** 20
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

async function main(): Promise<void> {
  // The engine processes inherit this: each collects garbage before reporting its memory, so a
  // lazy collector is not mistaken for a leak (without it the JS heap drifts 15 MB over 200 runs).
  process.env.NODE_OPTIONS = [process.env.NODE_OPTIONS, '--expose-gc'].filter(Boolean).join(' ')
  const dataDir = mkdtempSync(join(tmpdir(), 'soak-'))
  const services = createNodeServices({ dataDir, jobs: 1 })
  const samples: Sample[] = []
  // Reads the engine's report of its own memory off every job the audit runs.
  const run = services.engine.run.bind(services.engine)
  services.engine.run = async (...args: Parameters<typeof run>): Promise<JobResult> => {
    const result = await run(...args)
    if (result.engineMemory) {
      samples.push({
        run: samples.length + 1,
        method: args[0].kind === 'unlearn' ? args[0].method.id : args[0].kind,
        engineRssMb: mb(result.engineMemory.rssBytes),
        engineTensors: result.engineMemory.numTensors,
        engineHeapMb: mb(result.engineMemory.heapUsedBytes),
        mainRssMb: mb(process.memoryUsage().rss)
      })
    }
    return result
  }
  const started = performance.now()
  try {
    const { taskId, done } = await services.audits.start({
      name: 'soak',
      dataset: { id: 'fashion-mnist', trainLimit: 200, testLimit: 100 },
      model: { arch: 'mlp' },
      train: { epochs: 1, batchSize: 50, learningRate: 0.05, mnemonicCodes: { tMix: 0.1 } },
      task: { kind: 'class', classes: [1] },
      methods: METHODS,
      seeds: Array.from({ length: SEEDS }, (_, i) => i)
    })
    await done
    const runs = services.store.runs.list(taskId)
    const seconds = (performance.now() - started) / 1000
    // A tiny model may legitimately collapse under a method (a failed run with its reason); any other
    // ending (cancelled, interrupted, still queued) means the queue lost a run.
    const lost = runs.filter((r) => r.status !== 'done' && !(r.status === 'failed' && r.error))
    const counts = new Map<string, number>()
    for (const r of runs) counts.set(r.status, (counts.get(r.status) ?? 0) + 1)
    const byStatus = [...counts].map(([status, n]) => `${n} ${status}`).join(', ')
    const fifth = Math.floor(samples.length / 5)
    const early = samples.slice(fifth, 2 * fifth)
    const late = samples.slice(-fifth)
    const tensorCounts = new Set(samples.slice(fifth).map((s) => s.engineTensors))
    const growth = {
      engine: median(late.map((s) => s.engineRssMb)) - median(early.map((s) => s.engineRssMb)),
      main: median(late.map((s) => s.mainRssMb)) - median(early.map((s) => s.mainRssMb))
    }
    const backends = [...new Set(runs.map((r) => r.backend ?? 'none'))].join(', ')
    process.stdout.write(
      `\nSoak: ${runs.length} runs (${SEEDS} seeds × original + ${METHODS.map((m) => m.id).join(', ')}) in ${seconds.toFixed(0)} s on ${backends}: ${byStatus}\n\n`
    )
    process.stdout.write('| runs | engine RSS (MB) | engine JS heap (MB) | engine tensors | main RSS (MB) |\n|---|---:|---:|---:|---:|\n')
    for (const [label, part] of [
      ['first fifth', samples.slice(0, fifth)],
      ['second fifth', early],
      ['last fifth', late]
    ] as const) {
      process.stdout.write(
        `| ${label} | ${median(part.map((s) => s.engineRssMb)).toFixed(0)} | ${median(part.map((s) => s.engineHeapMb)).toFixed(0)} | ${median(part.map((s) => s.engineTensors))} | ${median(part.map((s) => s.mainRssMb)).toFixed(0)} |\n`
      )
    }
    const problems = [
      ...(runs.length !== SEEDS * (METHODS.length + 1) ? [`${runs.length} runs, expected ${SEEDS * (METHODS.length + 1)}`] : []),
      ...(samples.length !== runs.length ? [`${samples.length} memory reports for ${runs.length} runs`] : []),
      ...lost.map((r) => `run ${r.method}/${r.seed} ended ${r.status}: ${r.error}`),
      ...(tensorCounts.size > 1 ? [`the engine's live tensors after a run vary: ${[...tensorCounts].join(', ')}`] : []),
      ...(growth.engine > RSS_SLACK_MB ? [`engine RSS grew ${growth.engine.toFixed(0)} MB`] : []),
      ...(growth.main > RSS_SLACK_MB ? [`main RSS grew ${growth.main.toFixed(0)} MB`] : [])
    ]
    process.stdout.write(
      `\nGrowth from the second fifth to the last: engine ${growth.engine.toFixed(1)} MB, main ${growth.main.toFixed(1)} MB (limit ${RSS_SLACK_MB} MB); live tensors after each run: ${[...tensorCounts].join(', ')}\n`
    )
    if (problems.length) {
      process.stderr.write(`soak: memory is not flat or runs failed:\n${problems.map((p) => `  - ${p}`).join('\n')}\n`)
      process.exitCode = 1
    } else process.stdout.write('soak: flat\n')
  } finally {
    services.dispose()
    rmSync(dataDir, { recursive: true, force: true })
  }
}

main().catch((err: Error) => {
  process.stderr.write(`soak: ${err.stack ?? err.message}\n`)
  process.exit(1)
})
