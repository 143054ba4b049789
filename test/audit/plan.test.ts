import { describe, expect, it } from 'vitest'
import { ORIGINAL, planAudit, REFERENCE } from '@main/audit/plan'
import { plannedRunCount } from '@shared/sweep'
import { parseTaskSpec, SpecError } from '@shared/task-spec'
import { tinySweep } from '../helpers/tiny-sweep'

const DATASET = 'a'.repeat(64)

describe('audit plan', () => {
  const spec = parseTaskSpec({ ...tinySweep('plan'), seeds: [0, 1] })
  const plan = planAudit(spec, { datasetSha256: DATASET, givenModelMeasured: false })

  it('has one group per cell and seed, each its original first and then the methods, in row order', () => {
    expect(plan.groups).toHaveLength(4 * 2)
    expect(plan.steps).toHaveLength(4 * 2 * 3)
    expect(plan.steps.slice(0, 3).map((s) => s.step.method)).toEqual([ORIGINAL, 'finetune', 'retrain'])
    expect(plan.groups.map((g) => `${g.cell.key}|${g.seed}`)).toEqual(
      [
        'corruption=poison,discoveryRate=0.5',
        'corruption=poison,discoveryRate=1',
        'corruption=interclass-swap,discoveryRate=0.5',
        'corruption=interclass-swap,discoveryRate=1'
      ].flatMap((k) => [`${k}|0`, `${k}|1`])
    )
  })

  it('chains the groups that share an original: same corruption and seed, any discovery rate', () => {
    expect(plan.chains).toHaveLength(2 * 2)
    for (const chain of plan.chains) {
      expect(chain).toHaveLength(2)
      expect(new Set(chain.map((g) => g.original.cacheKey)).size).toBe(1)
      expect(new Set(chain.map((g) => g.cell.task.kind === 'corrupted' && g.cell.task.corruption)).size).toBe(1)
    }
    expect(new Set(plan.groups.map((g) => g.original.cacheKey)).size).toBe(4)
  })

  it('caches retrains per cell and seed, and nothing else but originals', () => {
    const retrainKeys = plan.groups.map((g) => g.methods.find((m) => m.method === 'retrain')!.cacheKey)
    expect(new Set(retrainKeys).size).toBe(8)
    expect(plan.groups.every((g) => g.methods.find((m) => m.method === 'finetune')!.cacheKey === null)).toBe(true)
    // Another dataset's files give other models.
    const other = planAudit(spec, { datasetSha256: 'b'.repeat(64), givenModelMeasured: false })
    expect(other.groups[0]!.original.cacheKey).not.toBe(plan.groups[0]!.original.cacheKey)
  })

  it('caches no original when a given model is measured as it is', () => {
    const given = planAudit(spec, { datasetSha256: DATASET, givenModelMeasured: true })
    expect(given.groups.every((g) => g.original.cacheKey === null)).toBe(true)
  })

  describe('with privacy evidence', () => {
    const privateSpec = parseTaskSpec({ ...tinySweep('plan'), seeds: [0, 1], privacy: { referenceModels: 4, retrains: 3 } })
    const p = planAudit(privateSpec, { datasetSha256: DATASET, givenModelMeasured: false })

    it('trains K reference models once per training pool: in its first group only', () => {
      for (const chain of p.chains) {
        expect(chain[0]!.references.map((r) => [r.method, r.replica])).toEqual([0, 1, 2, 3].map((k) => [REFERENCE, k]))
        for (const later of chain.slice(1)) {
          expect(later.references).toEqual([])
          // Every group of the chain attacks with the same models, found by the same keys.
          expect(later.referenceKeys).toEqual(chain[0]!.references.map((r) => r.cacheKey))
        }
      }
      // Pools differ between chains (corruption, seed), and so do their reference models.
      expect(new Set(p.chains.map((c) => c[0]!.referenceKeys[0])).size).toBe(p.chains.length)
    })

    it('shares one set of reference models between the seeds of a pool that does not depend on the seed', () => {
      const random = parseTaskSpec({
        ...tinySweep('plan'),
        task: { kind: 'random', fraction: 0.1 },
        sweep: undefined,
        seeds: [0, 1],
        privacy: {}
      })
      const r = planAudit(random, { datasetSha256: DATASET, givenModelMeasured: false })
      expect(r.chains).toHaveLength(2)
      expect(r.groups.map((g) => g.references.length)).toEqual([8, 0])
      expect(r.groups[1]!.referenceKeys).toEqual(r.groups[0]!.referenceKeys)
      expect(r.groups.map((g) => g.referenceSeed)).toEqual([0, 0])
      // Corrupted pools are corrupted by the seed: one set per seed.
      expect(p.groups.map((g) => g.referenceSeed)).toEqual(p.groups.map((g) => g.seed))
    })

    it('keeps reference model k the same model whatever K, and adds R - 1 retrains right after the retrain', () => {
      const eight = planAudit(
        { ...privateSpec, privacy: { ...privateSpec.privacy!, referenceModels: 8 } },
        { datasetSha256: DATASET, givenModelMeasured: false }
      )
      expect(eight.groups[0]!.referenceKeys.slice(0, 4)).toEqual(p.groups[0]!.referenceKeys)
      expect(p.groups[0]!.methods.map((m) => [m.method, m.replica])).toEqual([
        ['finetune', null],
        ['retrain', null],
        ['retrain', 1],
        ['retrain', 2]
      ])
      expect(new Set(p.groups[0]!.methods.filter((m) => m.method === 'retrain').map((m) => m.cacheKey)).size).toBe(3)
      expect(p.groups.every((g) => g.attacked)).toBe(true)
      expect(plan.groups.some((g) => g.attacked || g.references.length)).toBe(false)
    })

    it('counts the same runs as it plans', () => {
      expect(plannedRunCount(privateSpec)).toBe(p.steps.length)
      expect(p.steps.length).toBe(8 * (1 + 2 + 2) + 4 * 4)
      expect(plannedRunCount(spec)).toBe(plan.steps.length)
    })

    it('refuses privacy evidence without a retrain to compare with', () => {
      const noRetrain = { ...tinySweep('plan'), methods: [{ id: 'finetune', params: { epochs: 1 } }], privacy: {} }
      expect(() => parseTaskSpec(noRetrain)).toThrow(SpecError)
      expect(() => parseTaskSpec(noRetrain)).toThrow(/privacy: .*add "retrain"/)
      expect(() => parseTaskSpec({ ...tinySweep('plan'), privacy: { referenceModels: 3 } })).toThrow(/privacy.referenceModels: .*even/)
    })
  })
})
