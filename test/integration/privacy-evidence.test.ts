import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { exportBundle } from '@main/audit/bundle/export-bundle'
import { privacyScores } from '@main/audit/privacy-scores'
import { importBundle } from '@main/audit/bundle/import-bundle'
import type { RunRecord } from '@shared/api/contract'
import { intervalKey } from '@shared/metrics/names'
import { isAuditRun } from '@shared/run-filter'
import { useAuditServices } from '../helpers/audit-services'

/**
 * The privacy evidence end to end on a model that leaks: an mlp trained for many epochs on 2,000
 * images memorises them, so per-example LiRA finds a random 20 % forget set on the original, and
 * not on models retrained without it. Two cells share the training pool (the forget fraction is
 * swept), so the second finds the reference models cached.
 */
const services = useAuditServices('privacy-evidence')
const fresh = useAuditServices('privacy-evidence-again')

const spec = {
  name: 'leaky mlp',
  dataset: { id: 'fashion-mnist', trainLimit: 2000, testLimit: 1000 },
  model: { arch: 'mlp' },
  train: { epochs: 40, batchSize: 64, optimizer: 'adam', learningRate: 0.002, schedule: 'constant' },
  task: { kind: 'random', fraction: 0.2 },
  methods: ['retrain', { id: 'finetune', params: { epochs: 2 } }],
  seeds: [3],
  sweep: { fraction: [0.2, 0.3] },
  privacy: { referenceModels: 8, retrains: 3, attackSize: 400 }
}

const num = (r: RunRecord | undefined, key: string) => r?.metrics[key as keyof RunRecord['metrics']] as number
const interval = (r: RunRecord | undefined, key: Parameters<typeof intervalKey>[0]) => r?.metrics[intervalKey(key)] as [number, number]

describe('membership attacks on a leaky model', () => {
  let runs: RunRecord[] = []
  let taskId = ''
  it('runs the audit with its reference models and extra retrains', { timeout: 600_000 }, async () => {
    const started = await services.audits.start(spec)
    await started.done
    taskId = started.taskId
    runs = services.store.runs.list(taskId)
    for (const r of runs) expect(r.status, `${r.method}: ${r.error}`).toBe('done')
    // 8 reference models for the one training pool, however many cells use it; 2 extra retrains per cell.
    expect(runs.filter((r) => r.method === 'reference').map((r) => r.replica)).toEqual([0, 1, 2, 3, 4, 5, 6, 7])
    expect(runs.filter((r) => r.method === 'retrain').map((r) => [r.cellKey, r.replica])).toEqual([
      ['fraction=0.2', null],
      ['fraction=0.2', 1],
      ['fraction=0.2', 2],
      ['fraction=0.3', null],
      ['fraction=0.3', 1],
      ['fraction=0.3', 2]
    ])
    // Every model of both cells was attacked, reference models aside.
    for (const r of runs.filter((r) => r.method !== 'reference')) expect(num(r, 'liraAuc'), `${r.method} ${r.cellKey}`).toBeTypeOf('number')
  })

  it('finds the forget set on the original and not on the retrain', () => {
    const cell = runs.filter((r) => r.cellKey === 'fraction=0.2')
    const original = cell.find((r) => r.method === 'original')
    const retrain = cell.find((r) => r.method === 'retrain' && isAuditRun(r))
    const fpr = 0.01
    expect(num(original, 'liraTprAt1Fpr')).toBeGreaterThanOrEqual(3 * fpr)
    expect(num(original, 'liraAuc')).toBeGreaterThan(0.6)
    expect(num(original, 'rmiaAuc')).toBeGreaterThan(0.6)
    expect(Math.abs(num(retrain, 'liraAuc') - 0.5)).toBeLessThanOrEqual(0.05)
    // Each value sits inside its own bootstrap interval, which is not a point.
    const [lo, hi] = interval(original, 'liraAuc')
    expect(lo).toBeLessThanOrEqual(num(original, 'liraAuc'))
    expect(hi).toBeGreaterThanOrEqual(num(original, 'liraAuc'))
    expect(hi).toBeGreaterThan(lo)
  })

  it('calibrates U-LiRA: a held-out retrain scores 0.5 within its interval, the original does not', () => {
    const cell = runs.filter((r) => r.cellKey === 'fraction=0.2')
    const retrain = cell.find((r) => r.method === 'retrain' && isAuditRun(r))
    const [lo, hi] = interval(retrain, 'uliraSelfTest')
    expect(lo).toBeLessThanOrEqual(0.5)
    expect(hi).toBeGreaterThanOrEqual(0.5)
    expect(
      num(
        cell.find((r) => r.method === 'original'),
        'ulira'
      )
    ).toBeGreaterThan(hi)
  })

  it('keeps per-example scores for the drill-down', async () => {
    const r = runs.find((r) => r.method === 'original' && r.cellKey === 'fraction=0.2')!
    const scores = services.store.attackScores.forRuns([r.id]).get(r.id)!
    expect(scores.members).toHaveLength(num(r, 'attackSamples'))
    expect(scores.lira.members).toHaveLength(scores.members.length)
    expect(scores.nonMembers).toHaveLength(scores.members.length)
  })

  it('trains no reference model again for another audit on the same pool, and gives the same scores', { timeout: 600_000 }, async () => {
    const again = await services.audits.start({ ...spec, name: 'again', sweep: { fraction: [0.2] } })
    await again.done
    const second = services.store.runs.list(again.taskId)
    const refs = second.filter((r) => r.method === 'reference')
    expect(refs).toHaveLength(8)
    for (const r of refs) expect(r.metrics.reusedModel, 'measured from the cache, not trained').toBe(1)
    const first = runs.find((r) => r.method === 'original' && r.cellKey === 'fraction=0.2')
    expect(
      num(
        second.find((r) => r.method === 'original'),
        'liraAuc'
      )
    ).toBe(num(first, 'liraAuc'))
  })

  it(
    'gives the same scores from the same seeds on a fresh machine; a second seed shares the pool’s reference models',
    { timeout: 600_000 },
    async () => {
      const { taskId, done } = await fresh.audits.start({ ...spec, seeds: [3, 5], sweep: { fraction: [0.2] } })
      await done
      const other = fresh.store.runs.list(taskId)
      // The pool is the same for both seeds: one set of reference models, trained in seed 3's chain while seed 5's waited.
      expect(other.filter((r) => r.method === 'reference').map((r) => r.seed)).toEqual(Array(8).fill(3))
      expect(
        num(
          other.find((r) => r.method === 'original' && r.seed === 5),
          'liraAuc'
        )
      ).toBeGreaterThan(0.6)
      const first = runs.filter((r) => r.cellKey === 'fraction=0.2' && r.method !== 'reference')
      for (const r of other.filter((r) => r.method !== 'reference' && r.seed === 3)) {
        const twin = first.find((f) => f.method === r.method && f.replica === r.replica)
        expect(num(r, 'liraAuc'), `${r.method} ${r.replica}`).toBe(num(twin, 'liraAuc'))
        expect(num(r, 'rmiaAuc'), `${r.method} ${r.replica}`).toBe(num(twin, 'rmiaAuc'))
      }
    }
  )

  it('travels in a bundle: another copy shows the same replicas and per-example scores', async () => {
    const file = join(services.paths.dataDir, 'privacy.audit-bundle.zip')
    await exportBundle({ ...services, appVersion: 'test' }, taskId, { file, includeModels: false })
    const imported = await importBundle({ store: fresh.store, ...fresh.paths }, file)
    const there = fresh.store.runs.list(imported.task.id)
    expect(there.map((r) => [r.method, r.replica])).toEqual(runs.map((r) => [r.method, r.replica]))
    const original = runs.find((r) => r.method === 'original')!
    expect(fresh.store.attackScores.forRuns([original.id]).get(original.id)).toEqual(
      services.store.attackScores.forRuns([original.id]).get(original.id)
    )
  })

  it(
    'says why a cell was not attacked when its reference models did not finish, and clears it once attacked',
    { timeout: 300_000 },
    async () => {
      const tiny = {
        ...spec,
        name: 'no references',
        dataset: { id: 'fashion-mnist', trainLimit: 300, testLimit: 200 },
        train: { ...spec.train, epochs: 1 },
        sweep: undefined,
        privacy: { referenceModels: 2, retrains: 2, attackSize: 40 }
      }
      const started = await fresh.audits.start(tiny)
      // Cancelled while queued: the cell's runs go on, its attacks cannot.
      for (const r of fresh.store.runs.list(started.taskId).filter((r) => r.method === 'reference')) fresh.audits.cancelRun(r.id)
      await started.done
      const where = { taskId: started.taskId, cellKey: '', seed: 3 }
      const before = await privacyScores(fresh.store, fresh.paths, where)
      expect(before.failure).toMatch(/Only 0 of 2 reference models finished; the attacks need at least 2/)
      expect(before.runs).toEqual([])
      // Retried, the reference models train and the cell is attacked: the reason goes.
      await fresh.audits.retryEnded(started.taskId).done
      const after = await privacyScores(fresh.store, fresh.paths, where)
      expect(after.failure).toBeNull()
      expect(after.runs.map((r) => r.method)).toContain('original')
    }
  )
})
