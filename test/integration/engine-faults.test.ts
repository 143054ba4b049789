import { describe, expect, it } from 'vitest'
import { verifyStore } from '@main/audit/verify'
import { useAuditServices } from '../helpers/audit-services'
import { withRawDatabase } from '../helpers/raw-database'

const services = useAuditServices('faults')

const spec = (name: string) => ({
  name,
  dataset: { id: 'fashion-mnist', trainLimit: 3000, testLimit: 200 },
  model: { arch: 'cnn-small' },
  train: { epochs: 3, learningRate: 0.05 },
  task: { kind: 'random', fraction: 0.1 },
  methods: ['finetune']
})

/** Starts an audit and does `act` once the original model is training. */
async function startAndActDuringTraining(name: string, act: (taskId: string) => void) {
  const { taskId, done } = await services.audits.start(spec(name))
  const off = services.audits.on({
    progress: (p) => {
      if (p.taskId === taskId && p.phase === 'training' && p.fraction > 0.05) {
        off()
        act(taskId)
      }
    }
  })
  await done
  return services.store.runs.list(taskId)
}

describe('engine faults', () => {
  it('a cancel during training ends every run of the audit as cancelled', async () => {
    const runs = await startAndActDuringTraining('cancel', (id) => services.audits.cancel(id))
    expect(runs.map((r) => r.status)).toEqual(['cancelled', 'cancelled'])
    expect(runs[0]!.error).toMatch(/Cancelled/)
  }, 120_000)

  it.each([
    ['training', 0],
    ['evaluating', 0],
    ['unlearning', 1],
    ['evaluating', 1]
  ] as const)(
    'an engine killed mid-%s (run %i) leaves that run interrupted and the audit paused; a resume on a fresh engine finishes it',
    async (phase, killed) => {
      const { taskId, done } = await services.audits.start({
        ...spec(`crash ${phase} ${killed}`),
        model: { arch: 'mlp' },
        train: { epochs: 2, learningRate: 0.05 },
        methods: ['finetune', 'ssd']
      })
      const ids = services.store.runs.list(taskId).map((r) => r.id)
      const off = services.audits.on({
        progress: (p) => {
          if (p.runId === ids[killed] && p.phase === phase) {
            off()
            services.engine.dispose()
          }
        }
      })
      await done
      const after = services.store.runs.list(taskId)
      expect(after[killed]).toMatchObject({
        status: 'interrupted',
        outputModelSha256: null,
        error: expect.stringMatching(/^The engine process exited unexpectedly .*; resume the audit to run it again$/)
      })
      expect(after.slice(0, killed).map((r) => r.status)).toEqual(Array(killed).fill('done'))
      expect(after.slice(killed + 1).map((r) => r.status)).toEqual(Array(after.length - killed - 1).fill('queued'))
      expect(withRawDatabase(services.paths.dbFile, (db) => db.pragma('integrity_check', { simple: true }))).toBe('ok')

      const resumed = services.audits.resume(taskId)
      expect(resumed.pending).toBe(after.length - killed)
      await resumed.done
      const final = services.store.runs.list(taskId)
      expect(final.map((r) => r.status)).toEqual(['done', 'done', 'done'])
      // What had finished before the crash is exactly as it was.
      for (const r of after.slice(0, killed)) expect(final.find((f) => f.id === r.id)).toEqual(r)
      expect((await verifyStore(services.store, services.paths)).findings).toEqual([])
    },
    240_000
  )

  it('a method that diverges or collapses ends as failed with its reason and partial metrics, and the batch goes on', async () => {
    const { taskId, done } = await services.audits.start({
      ...spec('diverging'),
      dataset: { id: 'fashion-mnist', trainLimit: 1000, testLimit: 200 },
      model: { arch: 'mlp' },
      train: { epochs: 3, learningRate: 0.05 },
      methods: [
        { id: 'finetune', params: { learningRate: 1e6 } },
        // Dampening nearly every weight to nothing: finite weights, but a model that guesses.
        { id: 'ssd', params: { alpha: 1e-6, lambda: 1e-6 } },
        'finetune'
      ]
    })
    await done
    const [original, diverged, collapsed, fine] = services.store.runs.list(taskId)
    expect(original!.status).toBe('done')
    expect(diverged).toMatchObject({ status: 'failed', outputModelSha256: null })
    // The run names the step that first went bad, and records it as a metric.
    const [, step] =
      /^Training diverged: (?:the loss is (?:NaN|-?Infinity) at|the weights hold NaN or infinity after) step (\d+)$/.exec(
        diverged!.error ?? ''
      ) ?? []
    expect(step, diverged!.error ?? '').toBeDefined()
    expect(diverged!.metrics).toMatchObject({ seconds: expect.any(Number), divergedAtStep: Number(step) })
    expect(diverged!.steps).toBe(Number(step))
    // The original it started from is untouched: every model the store references still has its recorded hash.
    expect(diverged!.inputModelSha256).toBe(original!.outputModelSha256)
    expect((await verifyStore(services.store, services.paths)).findings).toEqual([])
    expect(collapsed).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/^Accuracy collapsed: retain accuracy 0\.\d+ is at the level of guessing/)
    })
    expect(collapsed!.metrics).toMatchObject({
      retainAccuracy: expect.any(Number),
      testAccuracy: expect.any(Number),
      dampenedFraction: expect.any(Number)
    })
    expect(fine!.status).toBe('done')
    expect(fine!.metrics).toHaveProperty('testAccuracy')
  }, 180_000)

  // Long enough that a pause sent at 20 % lands while the run is still going on every backend: 20
  // epochs finished within the pause's round trip once native training and the row gather were fast.
  const SLOW_EPOCHS = 200

  it('pause sends the run in flight back to the queue and ends nothing; resume finishes the audit; one run can be cancelled alone', async () => {
    const small = {
      ...spec('pause'),
      dataset: { id: 'fashion-mnist', trainLimit: 600, testLimit: 100 },
      model: { arch: 'mlp' },
      train: { epochs: 2, learningRate: 0.05 },
      methods: [{ id: 'finetune', params: { epochs: SLOW_EPOCHS } }, { id: 'finetune', params: { epochs: 1 } }, 'retrain']
    }
    const { taskId, done } = await services.audits.start(small)
    const [, slow, quick] = services.store.runs.list(taskId)
    expect(services.audits.cancelRun(quick!.id)).toBe(true)
    const off = services.audits.on({
      progress: (p) => {
        if (p.runId === slow!.id && p.fraction > 0.2) {
          off()
          services.audits.pause(taskId)
        }
      }
    })
    await done
    const paused = services.store.runs.list(taskId)
    expect(paused.map((r) => r.status)).toEqual(['done', 'queued', 'cancelled', 'queued'])
    expect(paused[1]!.startedAt).toBeNull()

    const resumed = services.audits.resume(taskId)
    expect(resumed.pending).toBe(2)
    await resumed.done
    expect(services.store.runs.list(taskId).map((r) => r.status)).toEqual(['done', 'done', 'cancelled', 'done'])
  }, 180_000)

  it('pausing one run sends it back to the queue while the others go on; a resume finishes it', async () => {
    const small = {
      ...spec('pause one'),
      dataset: { id: 'fashion-mnist', trainLimit: 600, testLimit: 100 },
      model: { arch: 'mlp' },
      train: { epochs: 2, learningRate: 0.05 },
      methods: [
        { id: 'finetune', params: { epochs: SLOW_EPOCHS } },
        { id: 'finetune', params: { epochs: 1 } }
      ]
    }
    const { taskId, done } = await services.audits.start(small)
    const [, slow] = services.store.runs.list(taskId)
    const off = services.audits.on({
      progress: (p) => {
        if (p.runId === slow!.id && p.fraction > 0.2) {
          off()
          expect(services.audits.pauseRun(slow!.id)).toBe(true)
        }
      }
    })
    await done
    expect(services.store.runs.list(taskId).map((r) => r.status)).toEqual(['done', 'queued', 'done'])
    expect(services.audits.pauseRun(services.store.runs.list(taskId)[2]!.id)).toBe(false)
    const resumed = services.audits.resume(taskId)
    expect(resumed.pending).toBe(1)
    await resumed.done
    expect(services.store.runs.list(taskId).map((r) => r.status)).toEqual(['done', 'done', 'done'])
  }, 180_000)
})
