import { describe, expect, it } from 'vitest'
import { cellSpec, expandCells, originalRecipe, plannedRunCount } from '@shared/sweep'
import { parseTaskSpec } from '@shared/task-spec'

const base = {
  name: 'grid',
  dataset: { id: 'fashion-mnist', trainLimit: 1000 },
  model: { arch: 'mlp' },
  train: { epochs: 2, learningRate: 0.05 },
  task: { kind: 'corrupted', corruption: 'poison', corruptedCount: 50, discoveryRate: 0.5 },
  methods: ['retrain', 'finetune'],
  seeds: [0, 1]
}

describe('sweep expansion', () => {
  it('crosses the swept task fields into cells, outermost the corruption, with the other fields from the task', () => {
    const spec = parseTaskSpec({ ...base, sweep: { corruption: ['poison', 'random-swap'], discoveryRate: [0.1, 0.5, 1] } })
    const cells = expandCells(spec)
    expect(cells.map((c) => c.key)).toEqual([
      'corruption=poison,discoveryRate=0.1',
      'corruption=poison,discoveryRate=0.5',
      'corruption=poison,discoveryRate=1',
      'corruption=random-swap,discoveryRate=0.1',
      'corruption=random-swap,discoveryRate=0.5',
      'corruption=random-swap,discoveryRate=1'
    ])
    expect(cells[4]!.task).toMatchObject({ kind: 'corrupted', corruption: 'random-swap', discoveryRate: 0.5, corruptedCount: 50 })
    expect(cellSpec(spec, cells[4]!)).not.toHaveProperty('sweep')
    // 6 cells × 2 seeds × (original + 2 methods)
    expect(plannedRunCount(spec)).toBe(36)
  })

  it('sweeps the model width (the hidden size) outermost: each width trains an original of its own; only for a model the app trains', () => {
    const spec = parseTaskSpec({ ...base, sweep: { width: [0.5, 2], discoveryRate: [0.5, 1] } })
    const cells = expandCells(spec)
    expect(cells.map((c) => c.key)).toEqual([
      'width=0.5,discoveryRate=0.5',
      'width=0.5,discoveryRate=1',
      'width=2,discoveryRate=0.5',
      'width=2,discoveryRate=1'
    ])
    expect(cells.map((c) => cellSpec(spec, c).model)).toEqual([0.5, 0.5, 2, 2].map((width) => ({ arch: 'mlp', width })))
    expect(cells[0]!.task).not.toHaveProperty('width')
    const recipes = cells.map((c) => JSON.stringify(originalRecipe(spec, c.task, 0, c.model)))
    expect(new Set(recipes).size).toBe(2)
    expect(plannedRunCount(spec)).toBe(4 * 2 * 3)
    expect(() =>
      parseTaskSpec({ ...base, model: { sha256: 'a'.repeat(64) }, task: { kind: 'random', fraction: 0.1 }, sweep: { width: [1, 2] } })
    ).toThrow(/sweep\.width: only a model this app trains/)
  })

  it('shares one original per corruption recipe and seed: the discovery rate does not change it', () => {
    const spec = parseTaskSpec({ ...base, sweep: { corruption: ['poison', 'random-swap'], discoveryRate: [0.1, 1] } })
    const recipes = expandCells(spec).map((c) => JSON.stringify(originalRecipe(spec, c.task, 0)))
    expect(new Set(recipes).size).toBe(2)
    expect(recipes[0]).toBe(recipes[1])
    expect(recipes[1]).not.toBe(recipes[2])
    expect(JSON.stringify(originalRecipe(spec, expandCells(spec)[0]!.task, 1))).not.toBe(recipes[0])
  })

  it('expands swept method settings into one method run per combination, each validated', () => {
    const spec = parseTaskSpec({
      ...base,
      methods: ['finetune', 'rem'],
      sweep: { params: { finetune: { epochs: [1, 3], learningRate: [0.01, 0.1] } } }
    })
    expect(spec.methods.map((m) => [m.id, m.params.epochs, m.params.learningRate])).toEqual([
      ['finetune', 1, 0.01],
      ['finetune', 1, 0.1],
      ['finetune', 3, 0.01],
      ['finetune', 3, 0.1],
      ['rem', undefined, 0.01]
    ])
    expect(expandCells(spec).map((c) => c.key)).toEqual([''])
  })

  it.each([
    [{ fraction: [0.1] }, /^sweep\.fraction: tasks of kind "corrupted" have no fraction/],
    [{ discoveryRate: [0, 0.5] }, /^sweep\.discoveryRate\[0\]: /],
    [{ params: { scrub: { epochs: [1] } } }, /^sweep\.params\.scrub: "scrub" is not one of the task's methods/],
    [{ params: { finetune: { epochs: [0] } } }, /^sweep\.params\.finetune\.epochs: /],
    [{ params: { finetune: { colour: ['red'] } } }, /^sweep\.params\.finetune: /]
  ])('names the bad sweep field (%#)', (sweep, message) => {
    expect(() => parseTaskSpec({ ...base, sweep })).toThrow(message)
  })
})
