import { describe, expect, it } from 'vitest'
import { ORIGINAL, planAudit } from '@main/audit/plan'
import { parseTaskSpec } from '@shared/task-spec'
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
})
