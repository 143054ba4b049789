import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { DatasetImportOptions, type RunRecord } from '@shared/api/contract'
import { describeZodError } from '@shared/zod-errors'
import { importDataset } from '../library/datasets/import-dataset'
import { COMPARED_METRICS } from '@shared/charts/method-comparison'
import { SpecError } from '@shared/task-spec'
import { scalarMetric } from '@shared/metrics/definitions'
import { exportReport } from '../api/handlers'
import { toResultJson } from '../audit/result-json'
import { verifyStore } from '../audit/verify'
import { defaultDataDir } from '../paths'
import { ImportError } from '../library/model-bundle'
import { EXPORT_MANIFEST, exportFormatOf, exportModel, exportModelOnnx } from '../library/model-export'
import { importModel } from '../library/model-library'
import { nativeHint } from '../engine-host/native-hint'
import { createNodeServices } from './node-services'
import { formatDuration } from '@shared/format'
import { TerminalProgress } from './progress-bar'
import { checkShardDataset, finishShard, mergeCommand, openShard } from './shard-commands'
import { planCommand } from './plan-command'
import { exportBundleCommand, importBundleCommand, reportCommand, settingsCommand } from './report-commands'

const USAGE =
  'usage: npm run audit -- <task.json> [--db FILE] [--report FILE.pdf] [--json FILE] [--jobs N] [--threads N]\n       npm run audit -- import-model <folder | model.zip | model.onnx | files…> [--dataset ID] [--name NAME] [--db FILE]\n       npm run audit -- export-model <sha256> <folder | file.onnx> [--db FILE]\n       npm run audit -- import-dataset <folder | data.npz | cifar-10-python.tar.gz | files…> [--name NAME] [--size HxW] [--color grey|rgb] [--scaling unit|standardize] [--test-fraction F] [--labels fine|coarse] [--skip-unreadable] [--db FILE]\n       npm run audit -- plan <task.json> --shards N --out DIR [--db FILE]\n       npm run audit -- run-shard <shard-K.json> --out DIR [--jobs N] [--threads N]\n       npm run audit -- merge <results dir…> --db FILE [--json FILE] [--report FILE.pdf]\n       npm run audit -- verify [<audit.db>] [--db FILE]\n       npm run audit -- report <audit id> <file.pdf> [--db FILE]\n       npm run audit -- export-bundle <audit id> <file.zip> [--with-models] [--db FILE]\n       npm run audit -- import-bundle <file.zip> [--db FILE]\n       npm run audit -- settings [--auditor NAME] [--organisation ORG] [--page-size A4|Letter] [--db FILE]'

/** Fails with a one-line reason and a non-zero exit code. */
function fail(message: string, code = 2): never {
  process.stderr.write(`audit: ${message}\n`)
  process.exit(code)
}

function readSpec(file: string): unknown {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    fail(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
  }
  try {
    return JSON.parse(text)
  } catch (err) {
    fail(`${file} is not valid JSON: ${(err as Error).message}`)
  }
}

/** A run's name in the table: the privacy evidence's own models say which they are. */
const runLabel = (r: RunRecord): string =>
  r.replica === null ? r.method : r.method === 'reference' ? `reference ${r.replica}` : `${r.method} (band ${r.replica})`

function printTable(runs: RunRecord[]): void {
  // The attacks' headline numbers, when the audit has them.
  const privacy = ['liraAuc', 'rmiaAuc', 'ulira'].filter((k) => runs.some((r) => scalarMetric(r.metrics, k) !== null))
  const head = ['method', 'seed', 'status', ...COMPARED_METRICS.map((m) => m.key), ...privacy, 'seconds']
  const rows = runs.map((r) => [
    runLabel(r),
    String(r.seed),
    r.status,
    ...[...COMPARED_METRICS.map((m) => m.key), ...privacy].map((k) => scalarMetric(r.metrics, k)?.toFixed(4) ?? '-'),
    scalarMetric(r.metrics, 'seconds')?.toFixed(1) ?? '-'
  ])
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  for (const row of [head, ...rows]) process.stdout.write(row.map((c, i) => c.padEnd(widths[i]!)).join('  ') + '\n')
}

/** `import-model`: the same checks and messages as a drop on the window; prints what was stored. */
async function importModelCommand(
  services: ReturnType<typeof createNodeServices>,
  paths: string[],
  values: { dataset?: string | undefined; name?: string | undefined }
): Promise<void> {
  if (paths.length === 0) fail(USAGE)
  try {
    const result = await importModel(
      { store: services.store, engine: services.engine, dataDir: services.paths.dataDir, resourcesDir: services.paths.resourcesDir },
      paths,
      {
        datasetId: values.dataset ?? 'fashion-mnist',
        ...(values.name ? { name: values.name } : {}),
        onStep: (step) => process.stderr.write(`import: ${step}…\n`)
      }
    )
    const m = result.model
    const accuracy = m.testAccuracy === null ? 'not measured' : `${(100 * m.testAccuracy).toFixed(2)} %`
    process.stdout.write(
      `${result.alreadyImported ? 'already in the library' : 'imported'}: ${m.name}\n  sha256 ${m.sha256}\n  ${m.parameterCount} parameters, ${m.bytes} bytes, dataset ${m.datasetId}\n  test accuracy ${accuracy}\n`
    )
    const v = result.validation
    if (v)
      process.stdout.write(
        `  matches ${v.runtime} on ${v.samples} test images: ${v.compared} differ by at most ${v.maxAbsDiff.toExponential(2)} (tolerance ${v.tolerance.toExponential(2)})\n${v.notes.map((n) => `  note: ${n}\n`).join('')}`
      )
    if (result.warning) process.stderr.write(`warning: ${result.warning}\n`)
  } catch (err) {
    services.dispose()
    fail(err instanceof ImportError ? `cannot import: ${err.message}` : (err as Error).message, err instanceof ImportError ? 2 : 1)
  }
  services.dispose()
}

type CliValues = Record<string, string | boolean | undefined>

/** `import-dataset`: the same checks and messages as a drop on the window; prints the summary. */
async function importDatasetCommand(services: ReturnType<typeof createNodeServices>, paths: string[], values: CliValues): Promise<void> {
  if (paths.length === 0) fail(USAGE)
  const size = typeof values.size === 'string' ? values.size.split(/[x×,]/i).map(Number) : undefined
  const parsed = DatasetImportOptions.safeParse({
    ...(values.name ? { name: values.name } : {}),
    ...(size ? { size } : {}),
    ...(values.color ? { color: values.color } : {}),
    ...(values.scaling ? { scaling: values.scaling } : {}),
    ...(values['test-fraction'] ? { testFraction: Number(values['test-fraction']) } : {}),
    ...(values.labels ? { labels: values.labels } : {}),
    ...(values['skip-unreadable'] ? { skipUnreadable: true } : {})
  })
  if (!parsed.success) fail(`import-dataset: ${describeZodError(parsed.error)}`)
  try {
    let lastStep = ''
    const result = await importDataset(
      { store: services.store, dataDir: services.paths.dataDir },
      paths.map((p) => resolve(p)),
      {
        ...parsed.data,
        onProgress: (step) => {
          if (step !== lastStep) process.stderr.write(`import: ${step}…\n`)
          lastStep = step
        }
      }
    )
    const d = result.dataset
    process.stdout.write(
      `${result.alreadyImported ? 'already in the library' : 'imported'}: ${d.name}\n  id ${d.id} (name it in a task as "dataset": { "id": "${d.id}" })\n  sha256 ${d.sha256}\n`
    )
    process.stdout.write(`  input ${d.inputShape.join('×')}, ${d.trainSize} train and ${d.testSize} test images, ${d.bytes ?? 0} bytes\n`)
    d.classNames.forEach((c, i) =>
      process.stdout.write(`  class ${i} ${c}: ${result.perClass[i]?.train ?? 0} train, ${result.perClass[i]?.test ?? 0} test\n`)
    )
    if (result.skipped.length) {
      process.stderr.write(`skipped ${result.skipped.length} unreadable file(s), recorded with the dataset:\n`)
      for (const u of result.skipped) process.stderr.write(`  ${u.path}: ${u.reason}\n`)
    }
  } catch (err) {
    services.dispose()
    fail(err instanceof ImportError ? `cannot import: ${err.message}` : (err as Error).message, err instanceof ImportError ? 2 : 1)
  }
  services.dispose()
}

/** `verify`: recomputes the audit log's chain and the hashes it names; exit 3 when anything differs. */
async function verifyCommand(services: ReturnType<typeof createNodeServices>): Promise<void> {
  const v = await verifyStore(services.store, services.paths)
  services.dispose()
  process.stdout.write(
    `audit log: ${v.entries} entries; checked ${v.runsChecked} finished runs, ${v.modelsChecked} models, ${v.datasetsChecked} imported datasets` +
      (v.runsBeforeLog ? `; ${v.runsBeforeLog} runs predate the log and have no logged hash` : '') +
      (v.runsDeleted ? `; ${v.runsDeleted} runs belong to deleted audits (logged)` : '') +
      '\n'
  )
  for (const a of v.audits) process.stdout.write(`audit "${a.name}" (${a.id}): content hash ${a.contentHash}\n`)
  for (const f of v.findings) process.stdout.write(`BROKEN ${f.subject}: ${f.problem}\n`)
  if (v.findings.length) fail(`${v.findings.length} finding(s): the store does not match its log`, 3)
  process.stdout.write('verified: the chain is intact and every hash recomputes\n')
}

/**
 * `export-model`: any model of the store as a LayersModel folder with a manifest of hashes, or, to a
 * path ending in .onnx, as one ONNX file.
 */
async function exportModelCommand(services: ReturnType<typeof createNodeServices>, args: string[]): Promise<void> {
  const [sha256, dest, ...rest] = args
  if (!sha256 || !dest || rest.length) fail(USAGE)
  try {
    if (exportFormatOf(dest) === 'onnx') {
      const out = await exportModelOnnx(services.store, services.paths.dataDir, sha256, resolve(dest))
      process.stdout.write(`exported to ${out.file} (ONNX, ${out.bytes} bytes, sha256 ${out.sha256})\n`)
    } else {
      const out = exportModel(services.store, services.paths.dataDir, sha256, resolve(dest))
      process.stdout.write(`exported to ${out.dir}: ${out.files.map((f) => f.name).join(', ')}, ${EXPORT_MANIFEST}\n`)
    }
  } catch (err) {
    services.dispose()
    fail(`cannot export: ${(err as Error).message}`, err instanceof ImportError ? 2 : 1)
  }
  services.dispose()
}

/** The first line: the backend the engine runs on, and how to get native speed where it fell back. */
async function announceEngine(services: ReturnType<typeof createNodeServices>): Promise<void> {
  try {
    const engine = await services.engine.whenReady()
    const hint = nativeHint(engine)
    process.stderr.write(`audit: engine on ${engine.backend}${hint ? ` (${hint})` : ''}\n`)
  } catch (err) {
    services.dispose()
    fail(`the engine did not start: ${(err as Error).message}`)
  }
}

async function main(): Promise<void> {
  const options = {
    db: { type: 'string' },
    report: { type: 'string' },
    json: { type: 'string' },
    jobs: { type: 'string' },
    threads: { type: 'string' },
    dataset: { type: 'string' },
    name: { type: 'string' },
    size: { type: 'string' },
    color: { type: 'string' },
    scaling: { type: 'string' },
    'test-fraction': { type: 'string' },
    labels: { type: 'string' },
    'skip-unreadable': { type: 'boolean' },
    'with-models': { type: 'boolean' },
    auditor: { type: 'string' },
    organisation: { type: 'string' },
    'page-size': { type: 'string' },
    shards: { type: 'string' },
    out: { type: 'string' }
  } as const
  let args: ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true }>>
  try {
    args = parseArgs({ options, allowPositionals: true })
  } catch (err) {
    fail(`${(err as Error).message}; ${USAGE}`)
  }
  const [specFile, ...extra] = args.positionals
  // `run-shard` runs one shard of a plan into its own folder: its database, its bundle, a copy of the shard file.
  const shardRun = specFile === 'run-shard' ? openShard(extra, args.values.out, fail) : null
  const dbFile = shardRun ? join(shardRun.out, 'audit.db') : resolve(args.values.db ?? `${defaultDataDir()}/audit.db`)
  if (args.values.threads !== undefined) {
    // Threads of each engine process on the native backend (default 1, as jobs already fill the cores):
    // with --jobs 1, --threads N gives the one job N cores. Engine processes inherit the variable.
    const threads = Number(args.values.threads)
    if (!Number.isInteger(threads) || threads < 1) fail(`--threads must be a whole number of at least 1 (got ${args.values.threads})`)
    process.env.UNLEARN_NATIVE_THREADS = String(threads)
  }
  const open = () => {
    try {
      // Without a window to keep responsive, every core runs a job unless told otherwise.
      const jobs =
        args.values.jobs === undefined ? (process.env.UNLEARN_JOBS ? undefined : availableParallelism()) : Number(args.values.jobs)
      return createNodeServices({ dataDir: dirname(dbFile), dbFile, ...(jobs === undefined ? {} : { jobs }) })
    } catch (err) {
      fail((err as Error).message)
    }
  }
  if (specFile === 'import-model') return importModelCommand(open(), extra, args.values)
  if (specFile === 'export-model') return exportModelCommand(open(), extra)
  if (specFile === 'import-dataset') return importDatasetCommand(open(), extra, args.values)
  const store = ['report', 'export-bundle', 'import-bundle', 'settings'].includes(specFile ?? '') ? open() : null
  if (store) {
    try {
      if (specFile === 'report') await reportCommand(store, extra, fail)
      else if (specFile === 'export-bundle') await exportBundleCommand(store, extra, args.values['with-models'] ?? false, fail)
      else if (specFile === 'import-bundle') await importBundleCommand(store, extra, fail)
      else settingsCommand(store, args.values, fail)
    } finally {
      store.dispose()
    }
    return
  }
  if (specFile === 'merge') {
    const services = open()
    try {
      await mergeCommand(services, extra, args.values, fail)
    } finally {
      services.dispose()
    }
    return
  }
  if (specFile === 'plan') {
    if (extra.length !== 1) fail(USAGE)
    const services = open()
    try {
      await planCommand(services, readSpec(extra[0]!), args.values, fail)
    } finally {
      services.dispose()
    }
    return
  }
  if (specFile === 'verify') {
    if (extra.length > 1) fail(USAGE)
    const db = resolve(extra[0] ?? dbFile)
    if (!existsSync(db)) fail(`no database at ${db}`)
    let services: ReturnType<typeof createNodeServices>
    try {
      services = createNodeServices({ dataDir: dirname(db), dbFile: db })
    } catch (err) {
      fail(`cannot open ${db}: ${(err as Error).message}`)
    }
    return verifyCommand(services)
  }
  if (!shardRun && (!specFile || extra.length)) fail(USAGE)
  const raw = shardRun ? shardRun.file.spec : readSpec(specFile!)
  const shard = shardRun?.ref ?? null
  const services = open()
  if (shardRun) await checkShardDataset(services, shardRun, fail)
  if (services.interruptedAtStart)
    process.stderr.write(`audit: ${services.interruptedAtStart} run(s) from an earlier process were cut off; marked interrupted\n`)

  const bar = new TerminalProgress(process.stderr)
  // A run's ending is printed once: the membership attacks announce the runs they add metrics to again.
  const ended = new Set<string>()
  services.audits.on({
    progress: (p) => bar.update(p),
    changed: (c) => {
      if (!c.runId || c.status === 'running') return
      if (ended.has(`${c.runId}:${c.status}`)) return
      ended.add(`${c.runId}:${c.status}`)
      bar.ended(c.runId, `run ${c.runId.slice(0, 8)} ${c.status}`)
    }
  })

  let started: { taskId: string; done: Promise<void> }
  try {
    const resumable = await services.audits.findResumable(raw, shard)
    // Checked before the engine starts, so bad input gets its one line and nothing else.
    const estimate = resumable ? null : await services.audits.estimate(raw, shard)
    await announceEngine(services)
    if (resumable) {
      const resumed = services.audits.resume(resumable)
      process.stderr.write(`audit: resuming audit ${resumable} in ${dbFile}: ${resumed.pending} run(s) still to do\n`)
      started = { taskId: resumable, done: resumed.done }
    } else {
      const time = estimate!.measuredRuns
        ? `; about ${formatDuration(estimate!.wallSeconds)} at this machine's speeds with ${estimate!.jobs} job(s)`
        : ''
      const unmeasured = estimate!.unmeasured.length ? ` (not counted, never run here: ${estimate!.unmeasured.join(', ')})` : ''
      const p = estimate!.privacy
      const privacy = p
        ? `; privacy evidence: ${p.referenceModels} reference model(s) and ${p.extraRetrains} extra retrain(s) to train${estimate!.measuredRuns ? `, about ${formatDuration(p.seconds)} of engine time` : ''}`
        : ''
      process.stderr.write(`audit: ${estimate!.runs} run(s)${time}${unmeasured}${privacy}\n`)
      started = await services.audits.start(raw, shard)
    }
  } catch (err) {
    services.dispose()
    fail(err instanceof SpecError ? `invalid task spec: ${err.message}` : (err as Error).message)
  }
  process.once('SIGINT', () => {
    process.stderr.write('audit: cancelling…\n')
    services.audits.cancel(started.taskId)
  })
  await started.done
  bar.clear()
  const task = services.store.tasks.get(started.taskId)!
  const runs = services.store.runs.list(started.taskId)
  printTable(runs)
  if (args.values.json)
    writeFileSync(
      args.values.json,
      JSON.stringify(toResultJson(task, runs, services.store.tuningTrials.forRuns(runs.map((r) => r.id))), null, 2)
    )
  if (args.values.report) {
    const pdf = await exportReport(services, started.taskId, resolve(args.values.report))
    process.stdout.write(`report: ${pdf.path} (${pdf.bytes} bytes, sha256 ${pdf.sha256})\n`)
  }
  if (shardRun) await finishShard(services, started.taskId, shardRun)
  process.stdout.write(`database: ${dbFile} (audit ${started.taskId})\n`)
  services.dispose()
  const notDone = runs.filter((r) => r.status !== 'done')
  if (notDone.length)
    fail(
      `${notDone.length} of ${runs.length} runs did not finish: ${notDone.map((r) => `${r.method}/seed ${r.seed} ${r.status}${r.error ? ` (${r.error})` : ''}`).join('; ')}`,
      1
    )
}

main().catch((err: Error) => fail(err.message, 1))
