import { describe, expect, it } from 'vitest'
import { createApiHandlers } from '@main/api/handlers'
import { createRouter } from '@main/api/router'
import { toResultJson } from '@main/audit/result-json'
import { CONTRACT, type RunRecord } from '@shared/api/contract'
import type { TuningRecord } from '@shared/tuning'
import { runAuditExpectingDone, useAuditServices } from '../helpers/audit-services'

/**
 * A tuned run's trials through the `tuning:trials` channel (router, contract, real services) and in
 * the headless JSON: every trial of each tuned run as stored, the kept one the best scored, retrain
 * and the original never tuned, and an unknown audit refused by name.
 */
const services = useAuditServices('tuning-trials')
const dispatch = createRouter(createApiHandlers({ ...services, appVersion: 'test' }))

// A corrupted task, so trials are scored by U×H on held-out discovered samples (no retrain to wait for).
const spec = {
  name: 'tuning trials',
  dataset: { id: 'fashion-mnist', trainLimit: 400, testLimit: 100 },
  model: { arch: 'mlp' },
  train: { epochs: 1, batchSize: 64, learningRate: 0.05 },
  task: { kind: 'corrupted', corruption: 'random-swap', corruptedCount: 40, discoveryRate: 0.5 },
  methods: ['retrain', { id: 'finetune', params: { epochs: 1 } }],
  seeds: [0],
  tuning: { trials: 3 }
}

let taskId = ''
let runs: RunRecord[] = []

describe('the tuning:trials channel', () => {
  it('returns every trial of each tuned run, as stored and exactly as the contract says', async () => {
    ;({ taskId, runs } = await runAuditExpectingDone(services, spec))
    const reply = await dispatch('tuning:trials', { taskId })
    if (!reply.ok) throw new Error(reply.error.message)
    // Exactly the contract's shape once it has crossed a transport.
    const sent = JSON.parse(JSON.stringify(reply.value))
    expect(CONTRACT['tuning:trials'].output.parse(sent)).toEqual(sent)

    const { runs: tuned } = reply.value as { runs: Array<{ runId: string; record: TuningRecord }> }
    const finetune = runs.find((r) => r.method === 'finetune')!
    // Only finetune was tuned: retrain is the reference, the original is no method.
    expect(tuned.map((t) => t.runId)).toEqual([finetune.id])
    const record = tuned[0]!.record
    expect(record).toEqual(services.store.tuningTrials.forRuns([finetune.id]).get(finetune.id))
    expect(record.objective).toBe('uxh')
    expect(record.trials.map((t) => t.trial)).toEqual([0, 1, 2])
    // Trial 0 is the run's own settings (its params row); U×H's parts are the validation accuracy and healing on held-out samples.
    expect(record.trials[0]!.params).toEqual(finetune.params)
    expect(record.validationCount).toBeGreaterThanOrEqual(20)
    expect(record.heldOutCount).toBeGreaterThan(0)
    for (const t of record.trials.filter((t) => t.objective !== null)) {
      expect(Object.keys(t.components).sort()).toEqual(['healedHeldOut', 'validationAccuracy'])
      expect(t.objective).toBeCloseTo(t.components.validationAccuracy! * t.components.healedHeldOut!, 10)
    }
    // The kept trial is the best scored, the earliest on ties.
    const best = Math.max(...record.trials.flatMap((t) => (t.objective === null ? [] : [t.objective])))
    expect(record.kept).toBe(record.trials.find((t) => t.objective === best)!.trial)
  }, 120_000)

  it('refuses an unknown audit by name and a malformed request', async () => {
    expect(await dispatch('tuning:trials', { taskId: 'no-such-audit' })).toMatchObject({
      ok: false,
      error: { code: 'NOT_FOUND', message: expect.stringContaining('No audit') }
    })
    expect(await dispatch('tuning:trials', { taskId })).toMatchObject({ ok: true })
    expect(await dispatch('tuning:trials', { taskId, runId: 'x' })).toMatchObject({ ok: false, error: { code: 'VALIDATION' } })
    expect(await dispatch('tuning:trials', {})).toMatchObject({ ok: false, error: { code: 'VALIDATION' } })
  })

  it('puts the kept settings beside every trial in the headless JSON, on tuned runs only', () => {
    const task = services.store.tasks.get(taskId)!
    const records = services.store.tuningTrials.forRuns(runs.map((r) => r.id))
    const json = JSON.parse(JSON.stringify(toResultJson(task, runs, records))) as ReturnType<typeof toResultJson>
    const finetune = json.runs.find((r) => r.method === 'finetune')!
    const record = records.get(runs.find((r) => r.method === 'finetune')!.id)!
    expect(finetune.tuning).toEqual({
      objective: 'uxh',
      kept: record.kept,
      keptParams: record.trials[record.kept]!.params,
      validationCount: record.validationCount,
      heldOutCount: record.heldOutCount,
      trials: record.trials
    })
    // The run's own params stay the spec's (trial 0).
    expect(finetune.params).toEqual(record.trials[0]!.params)
    for (const r of json.runs.filter((r) => r.method !== 'finetune')) expect(r).not.toHaveProperty('tuning')
    // Without the records (a caller that passes none), no run claims a tuning.
    expect(toResultJson(task, runs).runs.some((r) => 'tuning' in r)).toBe(false)
  })
})
