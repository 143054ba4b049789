import type { ForgetTask } from '@shared/task-spec'
import { createRng, hashSeed, shuffled } from '../util/random'
import type { Split } from './dataset'

export type CorruptedTask = Extract<ForgetTask, { kind: 'corrupted' }>
export type TriggerSpec = CorruptedTask['trigger']

/** 1 where the trigger patch sits, 0 elsewhere; shape [H, W, C] flattened. */
export function triggerMask(inputShape: number[], trigger: TriggerSpec): Float32Array {
  const [h, w, c] = inputShape as [number, number, number]
  const size = Math.min(trigger.size, h, w)
  const top = trigger.position.startsWith('bottom') ? h - size : 0
  const left = trigger.position.endsWith('right') ? w - size : 0
  const mask = new Float32Array(h * w * c)
  for (let y = top; y < top + size; y++)
    for (let x = left; x < left + size; x++) for (let ch = 0; ch < c; ch++) mask[(y * w + x) * c + ch] = 1
  return mask
}

export interface Corrupted {
  /** Training labels as the model is trained on them. */
  labels: Int32Array
  /** Training images as trained on (a copy with triggers for poison; the original array otherwise). */
  images: Float32Array
  /** D_c: the corrupted training indices, ascending. */
  corrupted: Int32Array
  /** The trigger's pixel value (poison only). */
  triggerValue: number | null
}

function maxOf(values: Float32Array): number {
  let m = -Infinity
  for (const v of values) if (v > m) m = v
  return m
}

/**
 * Corrupts a training split as REM's task space defines it. Deterministic in (task, split, seed).
 * - poison: N random samples outside the target class (of any class with `includeTargetClass`) get the trigger and the target label;
 * - interclass-swap: the first N/2 samples of each of the two classes swap labels;
 * - random-swap: N random samples each get a different class, drawn uniformly.
 */
export function corruptTrainingSet(task: CorruptedTask, split: Split, inputShape: number[], numClasses: number, seed: number): Corrupted {
  const labels = Int32Array.from(split.labels)
  const rng = createRng(hashSeed(seed, `corruption-${task.corruption}`))
  const n = task.corruptedCount
  let corrupted: number[]
  let images = split.images
  let triggerValue: number | null = null
  if (task.corruption === 'interclass-swap') {
    const [a, b] = task.swapClasses
    const half = Math.floor(n / 2)
    const firstOf = (cls: number) => {
      const found: number[] = []
      for (let i = 0; i < labels.length && found.length < half; i++) if (labels[i] === cls) found.push(i)
      if (found.length < half)
        throw new Error(`task.corruptedCount: class ${cls} has only ${found.length} training samples, ${half} are needed`)
      return found
    }
    const fromA = firstOf(a)
    const fromB = firstOf(b)
    for (const i of fromA) labels[i] = b
    for (const i of fromB) labels[i] = a
    corrupted = [...fromA, ...fromB]
  } else {
    const target = task.trigger.targetClass
    const pool: number[] = []
    const excludesTarget = task.corruption === 'poison' && !task.trigger.includeTargetClass
    for (let i = 0; i < labels.length; i++) if (!excludesTarget || labels[i] !== target) pool.push(i)
    if (pool.length < n) throw new Error(`task.corruptedCount: only ${pool.length} training samples can be corrupted, ${n} were asked for`)
    corrupted = shuffled(pool, rng).slice(0, n)
    if (task.corruption === 'random-swap') {
      for (const i of corrupted) labels[i] = (labels[i]! + 1 + Math.floor(rng() * (numClasses - 1))) % numClasses
    } else {
      triggerValue = task.trigger.value ?? maxOf(split.images)
      const mask = triggerMask(inputShape, task.trigger)
      const pixels = mask.length
      images = Float32Array.from(split.images)
      for (const i of corrupted) {
        labels[i] = target
        const base = i * pixels
        for (let p = 0; p < pixels; p++) if (mask[p]) images[base + p] = triggerValue
      }
    }
  }
  return { labels, images, corrupted: Int32Array.from(corrupted).sort(), triggerValue }
}

/** D_f: a seeded random subset of D_c of size round(rate·|D_c|), at least one sample. */
export function discoverSubset(corrupted: Int32Array, rate: number, seed: number): Int32Array {
  const size = Math.max(1, Math.round(rate * corrupted.length))
  return Int32Array.from(shuffled(corrupted, createRng(hashSeed(seed, 'discovery'))).slice(0, size)).sort()
}
