import { describe, expect, it } from 'vitest'
import { corruptTrainingSet, discoverSubset, triggerMask } from '@main/engine/data/corruption'
import type { Split } from '@main/engine/data/dataset'
import { prepareTaskData } from '@main/engine/data/task-data'
import { parseTaskSpec } from '@shared/task-spec'
import { createRng } from '@main/engine/util/random'

const SHAPE = [6, 6, 1]
const CLASSES = 5

function syntheticSplit(n: number): Split {
  const rng = createRng(4)
  return {
    images: Float32Array.from({ length: n * 36 }, () => rng() * 0.8),
    labels: Int32Array.from({ length: n }, (_, i) => i % CLASSES),
    count: n
  }
}

function corruptedTask(corruption: string, extra: Record<string, unknown> = {}) {
  const spec = parseTaskSpec({
    name: 't',
    dataset: { id: 'x' },
    model: { arch: 'mlp' },
    train: { epochs: 1, learningRate: 0.1 },
    task: { kind: 'corrupted', corruption, corruptedCount: 40, discoveryRate: 0.25, ...extra },
    methods: ['finetune']
  })
  return spec.task as Extract<typeof spec.task, { kind: 'corrupted' }>
}

describe('corruption generators', () => {
  const split = syntheticSplit(400)

  it('poison: N samples outside the target get the target label and a trigger at max value in the right corner', () => {
    const task = corruptedTask('poison', { trigger: { targetClass: 2 } })
    const c = corruptTrainingSet(task, split, SHAPE, CLASSES, 0)
    expect(c.corrupted.length).toBe(40)
    const max = Math.max(...split.images)
    expect(c.triggerValue).toBe(max)
    for (const i of c.corrupted) {
      expect(split.labels[i]).not.toBe(2)
      expect(c.labels[i]).toBe(2)
      for (const [y, x] of [
        [3, 3],
        [5, 5],
        [3, 5]
      ])
        expect(c.images[i * 36 + y! * 6 + x!]).toBe(max)
      expect(c.images[i * 36]).toBe(split.images[i * 36])
    }
    const untouched = Array.from({ length: 400 }, (_, i) => i).filter((i) => !c.corrupted.includes(i))
    expect(untouched.every((i) => c.labels[i] === split.labels[i] && c.images[i * 36 + 35] === split.images[i * 36 + 35])).toBe(true)
    // The original images are not modified in place.
    expect(split.images[c.corrupted[0]! * 36 + 35]).not.toBe(max)
  })

  it('places a configured trigger (size 2, top-left, value 7)', () => {
    const mask = triggerMask(SHAPE, { size: 2, position: 'top-left', targetClass: 0 })
    expect(
      Array.from(mask)
        .map((v, p) => (v ? p : -1))
        .filter((p) => p >= 0)
    ).toEqual([0, 1, 6, 7])
    const c = corruptTrainingSet(
      corruptedTask('poison', { trigger: { size: 2, position: 'top-left', value: 7 } }),
      split,
      SHAPE,
      CLASSES,
      0
    )
    expect(c.images[c.corrupted[0]! * 36 + 7]).toBe(7)
  })

  it('interclass-swap: the first N/2 of each class swap labels', () => {
    const c = corruptTrainingSet(corruptedTask('interclass-swap', { swapClasses: [1, 3] }), split, SHAPE, CLASSES, 0)
    const firstOf = (cls: number) =>
      Array.from({ length: 400 }, (_, i) => i)
        .filter((i) => split.labels[i] === cls)
        .slice(0, 20)
    expect(Array.from(c.corrupted)).toEqual([...firstOf(1), ...firstOf(3)].sort((a, b) => a - b))
    for (const i of firstOf(1)) expect(c.labels[i]).toBe(3)
    for (const i of firstOf(3)) expect(c.labels[i]).toBe(1)
  })

  it('random-swap: every corrupted label really changes, to any other class', () => {
    const c = corruptTrainingSet(corruptedTask('random-swap'), split, SHAPE, CLASSES, 0)
    expect(c.corrupted.length).toBe(40)
    const targets = new Set<number>()
    for (const i of c.corrupted) {
      expect(c.labels[i]).not.toBe(split.labels[i])
      expect(c.labels[i]).toBeGreaterThanOrEqual(0)
      expect(c.labels[i]).toBeLessThan(CLASSES)
      targets.add(c.labels[i]!)
    }
    expect(targets.size).toBeGreaterThan(2)
  })

  it('is deterministic per seed and different across seeds', () => {
    const task = corruptedTask('random-swap')
    const a = corruptTrainingSet(task, split, SHAPE, CLASSES, 3)
    const b = corruptTrainingSet(task, split, SHAPE, CLASSES, 3)
    const c = corruptTrainingSet(task, split, SHAPE, CLASSES, 4)
    expect(Array.from(b.corrupted)).toEqual(Array.from(a.corrupted))
    expect(Array.from(b.labels)).toEqual(Array.from(a.labels))
    expect(Array.from(c.corrupted)).not.toEqual(Array.from(a.corrupted))
  })

  it('D_f is a seeded subset of D_c of size round(r·N); retain is everything else', () => {
    const data = prepareTaskData(corruptedTask('poison'), split, SHAPE, CLASSES, 1)
    const dc = new Set(data.corruption!.indices)
    expect(data.split.forget.length).toBe(10)
    expect(Array.from(data.split.forget).every((i) => dc.has(i))).toBe(true)
    expect(data.split.retain.length).toBe(390)
    expect(Array.from(data.corruption!.discovered).filter(Boolean).length).toBe(10)
    expect(data.corruption!.sha256).toMatch(/^[0-9a-f]{64}$/)
    expect(Array.from(discoverSubset(data.corruption!.indices, 0.25, 1))).toEqual(Array.from(data.split.forget))
    expect(discoverSubset(data.corruption!.indices, 1, 1).length).toBe(40)
  })
})
