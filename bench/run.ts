import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { runJob } from '@main/engine/jobs'
import type { JobResult } from '@main/engine/protocol'
import { parseTaskSpec } from '@shared/task-spec'
import { cellJobTask, expandCells } from '@shared/sweep'
import { join } from 'node:path'
import { type BackendName, selectBackend } from '@main/engine/backend/select'
import { availableParallelism } from 'node:os'
import { createNodeServices } from '@main/cli/node-services'
import { findAppRoot } from '@main/paths'
import { datasetImportBench, printImportBench } from './dataset-import'
import { engineThroughput } from './engine-throughput'
import { type Entry, toResultRow } from './entry'
import { printPrivacyBench, privacyBench, privacyEntries } from './privacy'
import { PytorchReference, type PytorchRun, REFERENCE_METHODS } from './pytorch'
import { printReportBench, reportBench } from './report'
import { printStoreBench, storeBench } from './store'
import { printUiBench, uiBench } from './ui'
import { zooThroughput } from './zoo-throughput'

/**
 * `npm run bench`: engine throughput on this machine, printed as a Markdown table and written to
 * bench/results.json so results can be compared across commits. Never a pass/fail test.
 */
async function main(): Promise<void> {
  const backend = await selectBackend()
  // Where the native backend runs, the engine tables run on wasm too, so both stand beside PyTorch.
  const backends: BackendName[] = backend.name === 'native' ? ['native', 'wasm'] : [backend.name]
  const root = findAppRoot(__dirname)
  const entries: Entry[] = []
  const reference = new PytorchReference(root)
  if (reference.missing) process.stdout.write(`PyTorch references not run: ${reference.missing}\n`)
  if (!skipped('throughput')) entries.push(...(await engineThroughput(root, backends)))
  if (!skipped('zoo')) entries.push(...(await zooThroughput(root, backends)))
  await selectBackend(backend.name)
  if (!skipped('quickstart')) entries.push(...(await quickstartTimings(root, backends)))
  if (!skipped('privacy')) {
    const b = await privacyBench(root)
    printPrivacyBench(b)
    entries.push(...privacyEntries(b))
  }
  if (!skipped('sweep')) entries.push(...(await sweepThroughput(backend.name, reference)))
  if (!skipped('baselines')) entries.push(...(await baselineTimings(root, backend.name, reference)))
  if (!skipped('class')) entries.push(...(await classMethodTimings(root, backend.name, reference)))
  for (const name of skipped('rem') ? [] : backends) {
    await selectBackend(name)
    entries.push(...(await methodTimings(root, name, reference)))
  }
  if (!skipped('import')) {
    const b = await datasetImportBench(root)
    printImportBench(b)
    entries.push({
      name: 'dataset-import-60k-png',
      ours: b.images / b.seconds,
      unit: 'images/s',
      backend: 'none',
      peakRssMb: b.peakRssExtraMb
    })
  }
  if (!skipped('report')) {
    const b = await reportBench()
    printReportBench(b)
    entries.push({
      name: 'report-3x3x6-sweep',
      ours: b.totalSeconds,
      unit: 's/report',
      backend: 'none',
      peakRssMb: process.memoryUsage().rss / 2 ** 20
    })
  }
  if (!skipped('store')) {
    const b = storeBench()
    printStoreBench(b)
    entries.push({
      name: 'store-list-10k-runs',
      ours: b.listMs,
      unit: 'ms',
      backend: 'none',
      peakRssMb: process.memoryUsage().rss / 2 ** 20
    })
    entries.push({
      name: 'store-leaderboard-10k-runs',
      ours: b.leaderboardMs,
      unit: 'ms',
      backend: 'none',
      peakRssMb: process.memoryUsage().rss / 2 ** 20
    })
  }
  if (!skipped('ui')) {
    const b = await uiBench()
    printUiBench(b)
    entries.push({
      name: 'ui-first-paint',
      ours: b.firstPaintMs,
      unit: 'ms',
      backend: 'none',
      peakRssMb: process.memoryUsage().rss / 2 ** 20
    })
    entries.push({
      name: 'ui-tab-switch-10k-runs',
      ours: b.tabSwitchMs,
      unit: 'ms',
      backend: 'none',
      peakRssMb: process.memoryUsage().rss / 2 ** 20
    })
  }
  // Rows of skipped tables keep their last measured values.
  const file = join(root, 'bench', 'results.json')
  const previous: Entry[] = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : []
  const fresh = entries.map(toResultRow)
  const same = (a: Entry, b: Entry) => a.name === b.name && a.backend === b.backend
  const merged = [...fresh, ...previous.filter((p) => !fresh.some((e) => same(e, p))).map(toResultRow)]
  writeFileSync(file, JSON.stringify(merged, null, 2) + '\n')
}

/**
 * Sweep throughput with 1 job against 2 parallel jobs (each its own engine process), through the
 * real audit service: 2 corruptions × 2 discovery rates × 2 seeds, original + finetune per cell.
 * Each is followed by the PyTorch reference of the same sweep in as many one-thread processes as jobs.
 */
async function sweepThroughput(backend: string, reference: PytorchReference): Promise<Entry[]> {
  const spec = {
    name: 'bench sweep',
    dataset: { id: 'fashion-mnist', trainLimit: 3000, testLimit: 500 },
    model: { arch: 'mlp' },
    train: { epochs: 3, batchSize: 64, learningRate: 0.05 },
    task: { kind: 'corrupted', corruption: 'poison', corruptedCount: 100, discoveryRate: 0.5 },
    methods: [{ id: 'finetune', params: { epochs: 2 } }],
    seeds: [0, 1],
    sweep: { corruption: ['poison', 'interclass-swap'], discoveryRate: [0.5, 1] }
  }
  const cells = spec.sweep.corruption.flatMap((corruption) =>
    spec.sweep.discoveryRate.map((discoveryRate) => ({ corruption, discoveryRate }))
  )
  const rows: Entry[] = []
  const wall: Record<number, { ours: number; pytorch: number | null }> = {}
  for (const jobs of [1, 2]) {
    const dir = mkdtempSync(join(tmpdir(), 'ua-bench-sweep-'))
    const services = createNodeServices({ dataDir: dir, jobs })
    const t = performance.now()
    const { taskId, done } = await services.audits.start(spec)
    await done
    const ours = (performance.now() - t) / 1000
    const runs = services.store.runs.list(taskId)
    services.dispose()
    rmSync(dir, { recursive: true, force: true })
    if (runs.some((r) => r.status !== 'done')) throw new Error(`The sweep benchmark with ${jobs} job(s) left runs unfinished`)
    // The same cells split over as many one-thread PyTorch processes as we ran jobs, by corruption so each original is trained once.
    const torch = await reference.runMethodsInParallel(
      spec.sweep.corruption.slice(0, jobs).map((_, k) => ({
        method: 'sweep',
        spec: parseTaskSpec(spec),
        cells: cells.filter((c) => spec.sweep.corruption.indexOf(c.corruption) % jobs === k)
      }))
    )
    wall[jobs] = { ours, pytorch: torch?.seconds ?? null }
    const perMinute = (seconds: number) => runs.length / (seconds / 60)
    rows.push({
      name: `sweep-${jobs}-jobs`,
      ours: perMinute(ours),
      pytorch: torch ? perMinute(torch.seconds) : null,
      ratio: torch ? torch.seconds / ours : null,
      unit: 'runs/min',
      backend,
      peakRssMb: process.memoryUsage().rss / 2 ** 20,
      pytorchPeakRssMb: torch?.peakRssMb ?? null
    })
  }
  const fmt = (v: number | null, digits: number) => (v === null ? '—' : v.toFixed(digits))
  process.stdout.write(
    `\nSweep throughput (16 runs: 4 cells × 2 seeds × (original + finetune); 4 originals trained, 4 reused; PyTorch in as many one-thread processes as jobs)\n\n| jobs | wall (s) | runs/min | speed-up | PyTorch wall (s) | ours/PyTorch speed |\n|---:|---:|---:|---:|---:|---:|\n`
  )
  for (const jobs of [1, 2]) {
    const w = wall[jobs]!
    process.stdout.write(
      `| ${jobs} | ${w.ours.toFixed(1)} | ${(16 / (w.ours / 60)).toFixed(1)} | ${(wall[1]!.ours / w.ours).toFixed(2)} | ${fmt(w.pytorch, 1)} | ${fmt(w.pytorch === null ? null : w.pytorch / w.ours, 2)} |\n`
    )
  }
  return rows
}

/**
 * Wall time of the quickstart audit (`examples/quickstart.json`, report included) through the headless
 * command, as a user runs it, once per backend (UNLEARN_BACKEND), in a fresh database each time.
 */
async function quickstartTimings(root: string, backends: BackendName[]): Promise<Entry[]> {
  const rows: Entry[] = []
  for (const name of backends) {
    const dir = mkdtempSync(join(tmpdir(), 'ua-bench-quickstart-'))
    const t = performance.now()
    const run = spawnSync(
      'npx',
      [
        'tsx',
        join(root, 'src', 'main', 'cli', 'audit.ts'),
        join(root, 'examples', 'quickstart.json'),
        '--db',
        join(dir, 'audit.db'),
        '--report',
        join(dir, 'report.pdf')
      ],
      {
        cwd: root,
        env: { ...process.env, UNLEARN_BACKEND: name },
        encoding: 'utf8'
      }
    )
    const seconds = (performance.now() - t) / 1000
    rmSync(dir, { recursive: true, force: true })
    if (run.status !== 0) throw new Error(`The quickstart audit on ${name} failed: ${run.stderr}`)
    rows.push({ name: 'quickstart-audit', ours: seconds, unit: 's', backend: name, peakRssMb: process.memoryUsage().rss / 2 ** 20 })
  }
  process.stdout.write(
    `\nQuickstart audit (examples/quickstart.json through npm run audit, report included, its default of ${availableParallelism()} job(s), one per core)\n\n| backend | wall (s) | × fastest |\n|---|---:|---:|\n`
  )
  const fastest = Math.min(...rows.map((r) => r.ours))
  for (const r of rows) process.stdout.write(`| ${r.backend} | ${r.ours.toFixed(1)} | ${(r.ours / fastest).toFixed(2)} |\n`)
  return rows
}

/**
 * `--skip-throughput`, `--skip-zoo`, `--skip-quickstart`, `--skip-privacy`, `--skip-sweep`, `--skip-rem`, `--skip-class`,
 * `--skip-baselines`, `--skip-import`, `--skip-report`, `--skip-store`, `--skip-ui` leave out tables; `--only zoo,rem` runs just those.
 */
function skipped(table: string): boolean {
  const only = process.argv.indexOf('--only')
  if (only >= 0) return !(process.argv[only + 1] ?? '').split(',').includes(table)
  return process.argv.includes(`--skip-${table}`)
}

/** Cost and quality of the baselines on the quickstart task (random 10 %, cnn-small, 6,000 images). */
async function baselineTimings(root: string, backend: string, reference: PytorchReference): Promise<Entry[]> {
  const spec = {
    name: 'bench baselines',
    dataset: { id: 'fashion-mnist', trainLimit: 6000, testLimit: 1000 },
    model: { arch: 'cnn-small' },
    train: { epochs: 4, batchSize: 128, learningRate: 0.05 },
    task: { kind: 'random', fraction: 0.1 },
    methods: ['retrain', 'finetune', 'neggrad-plus', 'l1-sparse', 'random-label', 'scrub', 'bad-teacher', 'ssd', 'salun', 'cf-k', 'eu-k'],
    seeds: [0]
  }
  return timeMethods(root, backend, reference, spec, 'random-quickstart')
}

/** Seconds per run of the class-forgetting methods on the quickstart-sized task (class 1), with mnemonic codes. */
async function classMethodTimings(root: string, backend: string, reference: PytorchReference): Promise<Entry[]> {
  const spec = {
    name: 'bench class',
    dataset: { id: 'fashion-mnist', trainLimit: 6000, testLimit: 1000 },
    model: { arch: 'cnn-small' },
    train: { epochs: 4, batchSize: 128, learningRate: 0.05, mnemonicCodes: { tMix: 0.1 } },
    task: { kind: 'class', classes: [1] },
    methods: ['retrain', 'finetune', 'del', 'unsir', 'mnemonic'],
    seeds: [0]
  }
  return timeMethods(root, backend, reference, spec, 'class-quickstart')
}

/**
 * Seconds per run of each method after one shared original, each run followed at once by the
 * PyTorch reference of the same run where bench/reference/torch_methods.py has one. What was
 * data-dependent in our run (REM's Flush epochs per round) is handed to the reference, so both do
 * the same number of steps.
 */
async function timeMethods(
  root: string,
  backend: string,
  reference: PytorchReference,
  spec: Record<string, unknown>,
  label: string
): Promise<Entry[]> {
  const dir = mkdtempSync(join(tmpdir(), 'ua-bench-'))
  const ctx = { cancel: { cancelled: false }, progress: () => undefined }
  const parsed = parseTaskSpec(spec)
  const base = { resourcesDir: join(root, 'resources'), spec: cellJobTask(parsed, expandCells(parsed)[0]!), seed: 0 }
  const original = await runJob({ ...base, kind: 'train-original', outDir: join(dir, 'original') }, ctx)
  if (!original.model) throw new Error(`The benchmark's original model failed: ${original.failure}`)
  const originalDir = original.model.dir
  const rows: Entry[] = []
  const results: Array<{ id: string; r: JobResult; torch: PytorchRun | null }> = [{ id: 'original', r: original, torch: null }]
  for (const method of parsed.methods) {
    const r = await runJob({ ...base, kind: 'unlearn', method, originalDir, outDir: join(dir, method.id) }, ctx)
    const torch =
      REFERENCE_METHODS.has(method.id) && !r.failure
        ? await reference.runMethod({
            method: method.id,
            spec: parsed,
            params: method.params,
            seed: 0,
            schedule: { flushEpochs: r.metrics.remFlushEpochs },
            cacheDir: dir
          })
        : null
    results.push({ id: method.id, r, torch })
    rows.push({
      name: `${method.id}-${label}`,
      ours: r.seconds,
      pytorch: torch?.seconds ?? null,
      ratio: torch ? torch.seconds / r.seconds : null,
      unit: 's/run',
      backend,
      peakRssMb: process.memoryUsage().rss / 2 ** 20,
      pytorchPeakRssMb: torch?.peakRssMb ?? null
    })
  }
  rmSync(dir, { recursive: true, force: true })
  const seconds = (id: string) => results.find((x) => x.id === id)?.r.seconds
  const acc = (r: JobResult, key: string) => (typeof r.metrics[key] === 'number' ? (r.metrics[key] as number).toFixed(3) : '—')
  process.stdout.write(
    `\nMethod runs, ${label}\n\n| method | seconds | steps | × finetune | × retrain | PyTorch (s) | ours/PyTorch speed | forget acc | retain acc | test acc | status |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n`
  )
  for (const { id, r, torch } of results) {
    const vs = (ref: string) => (seconds(ref) ? (r.seconds / seconds(ref)!).toFixed(2) : '—')
    const theirs = torch ? `${torch.seconds.toFixed(1)} | ${(torch.seconds / r.seconds).toFixed(2)}` : '— | —'
    process.stdout.write(
      `| ${id} | ${r.seconds.toFixed(1)} | ${r.steps} | ${vs('finetune')} | ${vs('retrain')} | ${theirs} | ${acc(r, 'forgetAccuracy')} | ${acc(r, 'retainAccuracy')} | ${acc(r, 'testAccuracy')} | ${r.failure ?? 'done'} |\n`
    )
  }
  return rows
}

/** Seconds per method run on the quickstart-sized poison task (cnn-small, 6,000 images, |D_c| = 300, discovery 0.5). */
async function methodTimings(root: string, backend: string, reference: PytorchReference): Promise<Entry[]> {
  const spec = {
    name: 'bench poison',
    dataset: { id: 'fashion-mnist', trainLimit: 6000, testLimit: 1000 },
    model: { arch: 'cnn-small' },
    train: { epochs: 4, batchSize: 128, learningRate: 0.05 },
    task: { kind: 'corrupted', corruption: 'poison', corruptedCount: 300, discoveryRate: 0.5 },
    methods: ['finetune', 'rem'],
    seeds: [0]
  }
  return timeMethods(root, backend, reference, spec, 'poison-quickstart')
}

main().catch((err: Error) => {
  process.stderr.write(`bench: ${err.message}\n`)
  process.exit(1)
})
