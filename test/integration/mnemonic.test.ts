import { createHash } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { verifyStore } from '@main/audit/verify'
import { exportModel } from '@main/library/model-export'
import { importModel } from '@main/library/model-library'
import { useAuditServices } from '../helpers/audit-services'
import { makeTempDir } from '../helpers/tmp'

const services = useAuditServices('mnemonic')
const scratch = makeTempDir('mnemonic-src')
afterAll(() => scratch.cleanup())

const spec = (train: Record<string, unknown>, params: Record<string, unknown> = {}) => ({
  name: 'mnemonic',
  dataset: { id: 'fashion-mnist', trainLimit: 6000, testLimit: 500 },
  model: { arch: 'mlp' },
  train: { epochs: 5, batchSize: 64, learningRate: 0.05, ...train },
  task: { kind: 'class', classes: [1] },
  methods: [{ id: 'mnemonic', params }]
})

describe('one-shot Mnemonic-code unlearning', () => {
  // λ1 = 1e-3 (the paper's MNIST value) is tuned for an mlp trained 200 epochs; this one trains 5,
  // and needs λ1 = 1e-2 for the class to go. The default stays the paper's.
  it('forgets a class of a code-trained mlp in one shot: forget ≤ 0.1, other classes within 5 points, under 5 s', async () => {
    const { taskId, done } = await services.audits.start(spec({ mnemonicCodes: { tMix: 0.1 } }, { lambda1: 1e-2 }))
    await done
    const [original, forgotten] = services.store.runs.list(taskId)
    expect(forgotten!.status, forgotten!.error ?? '').toBe('done')
    const o = original!.metrics as Record<string, number>
    const m = forgotten!.metrics as Record<string, number>
    expect(m.forgetAccuracy).toBeLessThanOrEqual(0.1)
    expect(o.retainAccuracy! - m.retainAccuracy!).toBeLessThanOrEqual(0.05)
    expect(m.seconds).toBeLessThan(5)
  }, 300_000)

  it('a task without codes is refused before any training starts, with a message that says how to add them', async () => {
    const before = services.store.tasks.list().length
    await expect(services.audits.start(spec({ epochs: 1 }))).rejects.toThrow(/methods\[0\]: .*mnemonic codes: set train\.mnemonicCodes/)
    expect(services.store.tasks.list()).toHaveLength(before)
  })
})

describe('Mnemonic codes for a model trained elsewhere', () => {
  it('fine-tunes an imported model without codes with codes mixed in, records the codes, then forgets in one shot', async () => {
    // A model with no codes, as if trained elsewhere: ours, exported, then imported.
    const first = await services.audits.start({ ...spec({ epochs: 3 }), methods: ['finetune'] })
    await first.done
    const trained = services.store.runs.list(first.taskId)[0]!
    expect(trained.status, trained.error ?? '').toBe('done')
    const folder = join(scratch.dir, 'no-codes')
    exportModel(services.store, services.paths.dataDir, trained.outputModelSha256!, folder)
    const deps = {
      store: services.store,
      engine: services.engine,
      dataDir: services.paths.dataDir,
      resourcesDir: services.paths.resourcesDir
    }
    const imported = (await importModel(deps, [folder], { datasetId: 'fashion-mnist', name: 'no codes' })).model
    expect(imported.codesSha256).toBeNull()

    // Codes learnt on top of trained features hold less of the class than codes learnt from the
    // start: λ1 = 1e-2 leaves forget accuracy at 0.95 here. 1e-1 sits on the edge (0.11, or 0.71 once
    // matmul summed in another order); 3e-1 is past it (retain unchanged).
    const given = { ...spec({ epochs: 5 }, { lambda1: 3e-1 }), model: { sha256: imported.sha256 } }
    // Without codes to learn, the method is refused, saying how to add them.
    await expect(services.audits.start(given)).rejects.toThrow(
      /this model has none: set train\.mnemonicCodes to fine-tune it with codes first/
    )

    const { taskId, done } = await services.audits.start({ ...given, train: { ...given.train, mnemonicCodes: { tMix: 0.1 } } })
    await done
    const [original, forgotten] = services.store.runs.list(taskId)
    for (const r of [original!, forgotten!]) expect(r.status, `${r.method}: ${r.error}`).toBe('done')
    // The original is the imported model trained further, not measured as it was.
    expect(original!.inputModelSha256 ?? null).toBeNull()
    expect(original!.metrics.reusedModel).toBeUndefined()
    expect(original!.steps).toBeGreaterThan(0)
    expect(original!.outputModelSha256).not.toBe(imported.sha256)
    const tuned = services.store.models.find(original!.outputModelSha256!)!
    const codesFile = join(services.paths.dataDir, tuned.path, 'mnemonic-codes.json')
    expect(tuned.codesSha256).toBe(createHash('sha256').update(readFileSync(codesFile)).digest('hex'))

    const o = original!.metrics as Record<string, number>
    const m = forgotten!.metrics as Record<string, number>
    expect(o.forgetAccuracy).toBeGreaterThan(0.9)
    expect(m.forgetAccuracy).toBeLessThanOrEqual(0.2)
    expect(o.retainAccuracy! - m.retainAccuracy!).toBeLessThanOrEqual(0.05)

    // verify checks the recorded codes: a changed code file is named.
    expect((await verifyStore(services.store, services.paths)).findings).toEqual([])
    const codes = JSON.parse(readFileSync(codesFile, 'utf8'))
    codes.values[0] = 1 - codes.values[0]
    writeFileSync(codesFile, JSON.stringify(codes))
    const findings = (await verifyStore(services.store, services.paths)).findings
    expect(findings).toEqual([
      { subject: `model ${tuned.sha256}`, problem: expect.stringMatching(/its Mnemonic codes hash to [0-9a-f]{64}, not the recorded/) }
    ])
  }, 400_000)
})
