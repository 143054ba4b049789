import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { basename, join, relative } from 'node:path'
import * as ort from 'onnxruntime-node'
import { afterAll, describe, expect, it } from 'vitest'
import { createApiHandlers } from '@main/api/handlers'
import { createRouter } from '@main/api/router'
import { INVOKE_CHANNELS, type InvokeChannel } from '@shared/api/channels'
import { CONTRACT, type ApiInput, type ApiOutput } from '@shared/api/contract'
import { describeZodError } from '@shared/zod-errors'
import { useAuditServices } from '../helpers/audit-services'
import { runAuditCli } from '../helpers/run-cli'
import { makeTempDir } from '../helpers/tmp'

/**
 * Every channel of the contract, called through the router on real services with valid inputs: each
 * reply is ok, and its value is exactly what the contract describes once it has crossed a transport
 * (JSON): no key the schema would strip, none it would have to fill in with a default, no value it
 * would change. A channel added to the contract without a case here fails the first test.
 */

const services = useAuditServices('handler-outputs')
// Shard results made by the command line, for shards:merge.
const shardResults = makeTempDir('handler-shards')
afterAll(() => shardResults.cleanup())
// A second copy, for importing the first one's audit bundle as another machine would.
const copy = useAuditServices('handler-outputs-copy')
const dispatch = createRouter(createApiHandlers({ ...services, appVersion: 'test' }))
const dispatchCopy = createRouter(createApiHandlers({ ...copy, appVersion: 'test' }))
const fixtures = join(__dirname, '..', 'fixtures')

/** Where `sent` (the value as a transport carries it) and `parsed` (as the contract reads it) differ, one line each. */
function differences(sent: unknown, parsed: unknown, path = '$'): string[] {
  if (Array.isArray(sent) && Array.isArray(parsed)) {
    if (sent.length !== parsed.length) return [`${path}: ${sent.length} items became ${parsed.length}`]
    return sent.flatMap((s, i) => differences(s, parsed[i], `${path}[${i}]`))
  }
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
  if (isObject(sent) && isObject(parsed)) {
    return [
      ...Object.keys(sent)
        .filter((k) => !(k in parsed))
        .map((k) => `${path}.${k}: not in the contract (stripped)`),
      ...Object.keys(parsed)
        .filter((k) => !(k in sent))
        .map((k) => `${path}.${k}: missing (the contract fills in ${JSON.stringify(parsed[k])})`),
      ...Object.keys(sent)
        .filter((k) => k in parsed)
        .flatMap((k) => differences(sent[k], parsed[k], `${path}.${k}`))
    ]
  }
  return Object.is(sent, parsed) ? [] : [`${path}: ${JSON.stringify(sent)} became ${JSON.stringify(parsed)}`]
}

/** The reply's value fits the channel's output schema strictly, as sent over the loopback transport. */
function expectExactlyTheContract(channel: InvokeChannel, value: unknown): void {
  const sent: unknown = JSON.parse(JSON.stringify(value) ?? 'null')
  // JSON keeps it whole: no NaN or infinity turned null, no Date, Map or typed array flattened.
  expect(sent, `${channel}: the value survives JSON`).toEqual(value)
  const parsed = CONTRACT[channel].output.safeParse(sent)
  expect(parsed.success ? null : describeZodError(parsed.error), `${channel}: the value fits the contract`).toBeNull()
  if (parsed.success)
    expect(differences(sent, JSON.parse(JSON.stringify(parsed.data))), `${channel}: the value is exactly the contract's`).toEqual([])
}

/** The channels called since the current case began. */
const invoked = new Set<InvokeChannel>()

async function invokeOn<C extends InvokeChannel>(router: typeof dispatch, channel: C, input: ApiInput<C>): Promise<ApiOutput<C>> {
  const reply = await router(channel, input)
  if (!reply.ok) throw new Error(`${channel} replied ${reply.error.code}: ${reply.error.message}`)
  expectExactlyTheContract(channel, reply.value)
  invoked.add(channel)
  return reply.value as ApiOutput<C>
}
const invoke = <C extends InvokeChannel>(channel: C, input: ApiInput<C>) => invokeOn(dispatch, channel, input)

/** Every file under `dir`, as [path in the upload (under the folder's name), absolute path]. */
function filesOf(dir: string): Array<[string, string]> {
  const walk = (d: string): string[] =>
    readdirSync(d).flatMap((n) => (statSync(join(d, n)).isDirectory() ? walk(join(d, n)) : [join(d, n)]))
  return walk(dir).map((f) => [`${basename(dir)}/${relative(dir, f)}`, f])
}

/** Sends files the way the renderer does: uploads:begin, then one uploads:write (base64) per file. */
async function upload(router: typeof dispatch, files: Array<[string, string]>): Promise<string> {
  const { uploadId } = await invokeOn(router, 'uploads:begin', {})
  for (const [path, file] of files)
    await invokeOn(router, 'uploads:write', { uploadId, path, base64: readFileSync(file).toString('base64'), append: false })
  return uploadId
}

/** Polls audits:list (through the API) until the audit no longer executes. */
async function untilIdle(taskId: string): Promise<void> {
  const deadline = Date.now() + 120_000
  for (;;) {
    const task = (await invoke('audits:list', {})).find((t) => t.id === taskId)
    if (!task) throw new Error(`audits:list has no audit ${taskId}`)
    if (!task.active) return
    if (Date.now() > deadline) throw new Error(`the audit ${taskId} is still running after 2 minutes`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

// A corrupted task (so a run can be drilled into), as small as the engine allows: a tiny mlp, one epoch.
const spec = {
  name: 'handler outputs',
  dataset: { id: 'fashion-mnist', trainLimit: 200, testLimit: 50 },
  model: { arch: 'mlp' as const },
  train: { epochs: 1, batchSize: 64, learningRate: 0.05 },
  task: { kind: 'corrupted' as const, corruption: 'random-swap' as const, corruptedCount: 20, discoveryRate: 0.5 },
  methods: [{ id: 'finetune', params: { epochs: 1 } }],
  seeds: [0]
}

const ctx = {
  taskId: '',
  secondTaskId: '',
  modelSha256: '',
  datasetId: '',
  bundle: ''
}

/** One case per channel, run in this order; each calls its channel through the router at least once. */
const CASES: Record<InvokeChannel, () => Promise<void>> = {
  'app:info': async () => {
    const info = await invoke('app:info', {})
    expect(info).toMatchObject({ version: 'test', dataDir: services.paths.dataDir })
    expect(info.backend, info.backendSkipped.join('; ')).toEqual(expect.any(String))
  },
  'catalog:get': async () => {
    const catalog = await invoke('catalog:get', {})
    expect(catalog.datasets.map((d) => d.id)).toContain('fashion-mnist')
    expect(catalog.methods.map((m) => m.id)).toEqual(expect.arrayContaining(['finetune', 'retrain']))
  },
  'settings:get': async () => {
    expect(await invoke('settings:get', {})).toEqual({ auditorName: '', organisation: '', pageSize: 'A4' })
  },
  'settings:set': async () => {
    expect(await invoke('settings:set', { auditorName: 'Ana Šimić', pageSize: 'Letter' })).toEqual({
      auditorName: 'Ana Šimić',
      organisation: '',
      pageSize: 'Letter'
    })
  },
  'uploads:begin': async () => {
    const { uploadId } = await invoke('uploads:begin', {})
    expect(uploadId).toMatch(/\S/)
    await invoke('uploads:discard', { uploadId })
  },
  'uploads:write': async () => {
    const { uploadId } = await invoke('uploads:begin', {})
    const bytes = readFileSync(join(fixtures, 'models', 'valid', 'model.json'))
    const half = Math.ceil(bytes.length / 2)
    expect(
      await invoke('uploads:write', { uploadId, path: 'm/model.json', base64: bytes.subarray(0, half).toString('base64'), append: false })
    ).toEqual({ bytes: half })
    expect(
      await invoke('uploads:write', { uploadId, path: 'm/model.json', base64: bytes.subarray(half).toString('base64'), append: true })
    ).toEqual({ bytes: bytes.length })
    await invoke('uploads:discard', { uploadId })
  },
  'uploads:discard': async () => {
    const uploadId = await upload(dispatch, [['x/a.bin', join(fixtures, 'models', 'valid', 'group1-shard1of1.bin')]])
    expect(await invoke('uploads:discard', { uploadId })).toEqual({ discarded: true })
    expect(readdirSync(join(services.paths.dataDir, 'uploads'))).toEqual([])
  },
  'datasets:import': async () => {
    const uploadId = await upload(dispatch, filesOf(join(fixtures, 'datasets', 'strokes')))
    const imported = await invoke('datasets:import', { uploadId, options: { name: 'strokes', testFraction: 0.2 } })
    expect(imported).toMatchObject({
      alreadyImported: false,
      dataset: { name: 'strokes', source: 'imported', classNames: ['diagonal', 'horizontal', 'vertical'] }
    })
    expect(imported.perClass).toHaveLength(3)
    ctx.datasetId = imported.dataset.id
  },
  'models:import': async () => {
    const uploadId = await upload(dispatch, filesOf(join(fixtures, 'models', 'valid')))
    const imported = await invoke('models:import', { uploadId, datasetId: 'fashion-mnist', name: 'fixture cnn' })
    expect(imported).toMatchObject({
      alreadyImported: false,
      model: { name: 'fixture cnn', source: 'imported', datasetId: 'fashion-mnist', deletedAt: null }
    })
    expect(imported.model.testAccuracy).toBeGreaterThanOrEqual(0)
    ctx.modelSha256 = imported.model.sha256
  },
  'library:list': async () => {
    const library = await invoke('library:list', {})
    expect(library.models.map((m) => m.sha256)).toContain(ctx.modelSha256)
    expect(library.datasets.map((d) => d.id)).toEqual(expect.arrayContaining(['fashion-mnist', ctx.datasetId]))
  },
  'tasks:preview': async () => {
    const preview = await invoke('tasks:preview', { spec, count: 4 })
    expect(preview.inputShape).toEqual([28, 28, 1])
    expect(preview.samples).toHaveLength(4)
    for (const s of preview.samples) expect(s.shown).toHaveLength(28 * 28)
  },
  'audits:estimate': async () => {
    expect(await invoke('audits:estimate', { spec })).toMatchObject({ runs: 2, measuredRuns: 0 })
  },
  'audits:start': async () => {
    const { taskId } = await invoke('audits:start', { spec })
    expect(taskId).toMatch(/\S/)
    ctx.taskId = taskId
    await untilIdle(taskId)
  },
  'audits:list': async () => {
    const task = (await invoke('audits:list', {})).find((t) => t.id === ctx.taskId)
    expect(task).toMatchObject({ name: 'handler outputs', active: false, origin: null, counts: { done: 2 } })
  },
  'audits:runs': async () => {
    const runs = await invoke('audits:runs', { taskId: ctx.taskId })
    expect(runs.map((r) => [r.method, r.status, r.error])).toEqual([
      ['original', 'done', null],
      ['finetune', 'done', null]
    ])
  },
  'runs:drillDown': async () => {
    const finetune = (await invoke('audits:runs', { taskId: ctx.taskId })).find((r) => r.method === 'finetune')!
    const drill = await invoke('runs:drillDown', { runId: finetune.id, perGroup: 3 })
    expect(drill.discovered.total + drill.undiscovered.total).toBe(20)
    expect(drill.discovered.samples).toHaveLength(3)
  },
  'privacy:scores': async () => {
    // This audit asked for no privacy evidence: no run has attack scores, and the dataset is still named.
    const scores = await invoke('privacy:scores', { taskId: ctx.taskId, cellKey: '', seed: 0 })
    expect(scores).toMatchObject({ runs: [], samples: [], failure: null })
    expect(scores.classNames).toHaveLength(10)
    await expect(invoke('privacy:scores', { taskId: 'no-such-audit', cellKey: '', seed: 0 })).rejects.toThrow(/No audit/)
  },
  'tuning:trials': async () => {
    // This audit asked for no tuning: no run has trials (test/api/tuning-trials.test.ts reads a tuned one).
    expect(await invoke('tuning:trials', { taskId: ctx.taskId })).toEqual({ runs: [] })
    await expect(invoke('tuning:trials', { taskId: 'no-such-audit' })).rejects.toThrow(/No audit/)
  },
  'reports:exportPdf': async () => {
    const pdf = await invoke('reports:exportPdf', { taskId: ctx.taskId })
    expect(pdf.path).toMatch(/\.pdf$/)
    expect(statSync(pdf.path).size).toBe(pdf.bytes)
  },
  'reports:preview': async () => {
    const preview = await invoke('reports:preview', { taskId: ctx.taskId })
    expect(Buffer.from(preview.base64, 'base64').subarray(0, 5).toString()).toBe('%PDF-')
    expect(preview.pageSize).toBe('Letter')
  },
  'bundles:export': async () => {
    const bundle = await invoke('bundles:export', { taskId: ctx.taskId, includeModels: true })
    expect(bundle.path).toMatch(/\.audit-bundle\.zip$/)
    expect(statSync(bundle.path).size).toBe(bundle.bytes)
    ctx.bundle = bundle.path
  },
  'shards:merge': async () => {
    // Two shards of a tiny two-seed audit, run by the command line as two machines would.
    const dir = shardResults.dir
    const task = join(dir, 'task.json')
    writeFileSync(task, JSON.stringify({ ...spec, name: 'sharded through the API', seeds: [0, 1] }))
    expect((await runAuditCli(['plan', task, '--shards', '2', '--out', join(dir, 'plan'), '--db', join(dir, 'plan.db')])).code).toBe(0)
    for (const k of [1, 2])
      expect((await runAuditCli(['run-shard', join(dir, 'plan', `shard-${k}.json`), '--out', join(dir, 'results', String(k))])).code).toBe(
        0
      )
    const filesOfShard = (k: number): Array<[string, string]> =>
      ['shard.json', 'bundle.zip'].map((f) => [`results/${k}/${f}`, join(dir, 'results', String(k), f)])
    const partial = await invoke('shards:merge', { uploadId: await upload(dispatch, filesOfShard(2)) })
    expect(partial).toEqual({ name: 'sharded through the API', of: 2, present: [2], missing: [1], task: null, alreadyMerged: false })
    const merged = await invoke('shards:merge', { uploadId: await upload(dispatch, [...filesOfShard(1), ...filesOfShard(2)]) })
    expect(merged).toMatchObject({ of: 2, present: [1, 2], missing: [], alreadyMerged: false, task: { name: 'sharded through the API' } })
    expect(merged.task!.origin!.shards!.map((s) => s.index)).toEqual([1, 2])
    expect(Object.values(merged.task!.counts).reduce((a, b) => a + b, 0)).toBe(4)
  },
  'bundles:import': async () => {
    // Into another copy: a new, read-only audit with its models.
    const intoCopy = await invokeOn(dispatchCopy, 'bundles:import', {
      uploadId: await upload(dispatchCopy, [[basename(ctx.bundle), ctx.bundle]])
    })
    expect(intoCopy).toMatchObject({ alreadyImported: false, task: { id: ctx.taskId, origin: { appVersion: expect.any(String) } } })
    expect(intoCopy.modelsIncluded).toBeGreaterThan(0)
    // Into the copy that made it: the audit is here already.
    const back = await invoke('bundles:import', { uploadId: await upload(dispatch, [[basename(ctx.bundle), ctx.bundle]]) })
    expect(back).toMatchObject({ alreadyImported: true, modelsIncluded: 0, task: { id: ctx.taskId, origin: null } })
  },
  'audits:pause': async () => {
    // Another seed and a longer training: its original is trained anew, and is still training when the
    // pause (and later the cancel) comes, which stops it at its next step.
    const long = {
      ...spec,
      name: 'paused and resumed',
      dataset: { ...spec.dataset, trainLimit: 2000 },
      train: { ...spec.train, epochs: 50 },
      seeds: [1]
    }
    const { taskId } = await invoke('audits:start', { spec: long })
    ctx.secondTaskId = taskId
    expect(await invoke('audits:pause', { taskId })).toEqual({ paused: true })
    await untilIdle(taskId)
    const statuses = (await invoke('audits:runs', { taskId })).map((r) => r.status)
    expect(statuses).not.toContain('running')
    expect(statuses).toContain('queued')
  },
  'runs:pause': async () => {
    const queued = (await invoke('audits:runs', { taskId: ctx.secondTaskId })).filter((r) => r.status === 'queued')
    expect(await invoke('runs:pause', { runId: queued.at(-1)!.id })).toEqual({ paused: true })
  },
  'runs:cancel': async () => {
    const queued = (await invoke('audits:runs', { taskId: ctx.secondTaskId })).filter((r) => r.status === 'queued')
    expect(await invoke('runs:cancel', { runId: queued.at(-1)!.id })).toEqual({ cancelled: true })
    expect((await invoke('audits:runs', { taskId: ctx.secondTaskId })).find((r) => r.id === queued.at(-1)!.id)?.status).toBe('cancelled')
  },
  'audits:resume': async () => {
    const owed = (await invoke('audits:runs', { taskId: ctx.secondTaskId })).filter(
      (r) => r.status === 'queued' || r.status === 'interrupted'
    ).length
    expect(owed).toBeGreaterThan(0)
    expect(await invoke('audits:resume', { taskId: ctx.secondTaskId })).toEqual({ pending: owed })
  },
  'audits:cancel': async () => {
    expect(await invoke('audits:cancel', { taskId: ctx.secondTaskId })).toEqual({ cancelled: true })
    await untilIdle(ctx.secondTaskId)
    expect(await invoke('audits:cancel', { taskId: ctx.secondTaskId })).toEqual({ cancelled: false })
  },
  'audits:retryEnded': async () => {
    // The cancelled runs of the second audit go back to the queue and run again; its finished runs stay.
    const before = await invoke('audits:runs', { taskId: ctx.secondTaskId })
    const ended = before.filter((r) => r.status === 'failed' || r.status === 'cancelled').length
    expect(ended).toBeGreaterThan(0)
    expect(await invoke('audits:retryEnded', { taskId: ctx.secondTaskId })).toEqual({ requeued: ended })
    const after = await invoke('audits:runs', { taskId: ctx.secondTaskId })
    expect(after.filter((r) => r.status === 'failed' || r.status === 'cancelled')).toEqual([])
    expect(after.filter((r) => r.status === 'done').map((r) => r.id)).toEqual(before.filter((r) => r.status === 'done').map((r) => r.id))
    // Stopped again, so the audit can be deleted below.
    await invoke('audits:cancel', { taskId: ctx.secondTaskId })
    await untilIdle(ctx.secondTaskId)
  },
  'audits:delete': async () => {
    expect(await invoke('audits:delete', { taskId: ctx.secondTaskId })).toEqual({ deleted: true })
    expect((await invoke('audits:list', {})).map((t) => t.id)).not.toContain(ctx.secondTaskId)
  },
  'models:exportOnnx': async () => {
    // The imported fixture, written by an engine process as one ONNX file that onnxruntime opens.
    const written = await invoke('models:exportOnnx', { sha256: ctx.modelSha256 })
    expect(written.path).toMatch(/fixture-cnn-[0-9a-f]{12}\.onnx$/)
    expect(statSync(written.path).size).toBe(written.bytes)
    const session = await ort.InferenceSession.create(written.path)
    expect(session.inputNames).toEqual(['input'])
    // Asked again, the same file is given back, not written twice.
    expect(await invoke('models:exportOnnx', { sha256: ctx.modelSha256 })).toEqual(written)
    await expect(invoke('models:exportOnnx', { sha256: 'f'.repeat(64) })).rejects.toThrow(/No model ffffffffffff/)
  },
  'models:delete': async () => {
    const deleted = await invoke('models:delete', { sha256: ctx.modelSha256 })
    expect(deleted).toMatchObject({ sha256: ctx.modelSha256, deletedAt: expect.any(Number) })
    expect(existsSync(join(services.paths.dataDir, deleted.path))).toBe(false)
  },
  'datasets:delete': async () => {
    expect(await invoke('datasets:delete', { id: ctx.datasetId })).toMatchObject({ id: ctx.datasetId, deletedAt: expect.any(Number) })
  }
}

describe('every handler replies with exactly what the contract says', () => {
  it('has a case for every channel of the contract', () => {
    expect(Object.keys(CASES).sort()).toEqual([...INVOKE_CHANNELS].sort())
    expect(Object.keys(CONTRACT).sort()).toEqual([...INVOKE_CHANNELS].sort())
  })

  for (const [channel, run] of Object.entries(CASES)) {
    it(channel, async () => {
      invoked.clear()
      await run()
      expect([...invoked], `the ${channel} case calls ${channel}`).toContain(channel)
    })
  }
})
