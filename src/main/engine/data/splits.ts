import { createHash } from 'node:crypto'
import type { ForgetTask } from '@shared/task-spec'
import { createRng, hashSeed, shuffled } from '../util/random'

export interface ForgetSplit {
  /** Training-set indices to forget, ascending. */
  forget: Int32Array
  /** Every other training index, ascending. */
  retain: Int32Array
  /** sha256 of the forget index list (little-endian int32), so a report can prove what was forgotten. */
  forgetSha256: string
}

export function sha256OfIndices(indices: Int32Array): string {
  return createHash('sha256')
    .update(new Uint8Array(indices.buffer, indices.byteOffset, indices.byteLength))
    .digest('hex')
}

/** The forget/retain split of a task; deterministic in (task, labels, seed). */
export function makeForgetSplit(task: Exclude<ForgetTask, { kind: 'corrupted' }>, labels: Int32Array, seed: number): ForgetSplit {
  const n = labels.length
  let forget: number[]
  if (task.kind === 'class') {
    const classes = new Set(task.classes)
    forget = []
    for (let i = 0; i < n; i++) if (classes.has(labels[i]!)) forget.push(i)
  } else {
    const pool: number[] = []
    const classes = task.classes ? new Set(task.classes) : null
    for (let i = 0; i < n; i++) if (!classes || classes.has(labels[i]!)) pool.push(i)
    const size = Math.round(task.fraction * pool.length)
    forget = shuffled(pool, createRng(hashSeed(seed, 'forget-split'))).slice(0, size)
  }
  return splitFromForget(Int32Array.from(forget).sort(), n)
}

/** The split given the forget indices (ascending): retain is every other training index. */
export function splitFromForget(forgetSorted: Int32Array, n: number): ForgetSplit {
  if (forgetSorted.length === 0) throw new Error('The forget set is empty: no training sample matches the task')
  if (forgetSorted.length === n) throw new Error('The forget set is the whole training set: nothing would be retained')
  const inForget = new Uint8Array(n)
  for (const i of forgetSorted) inForget[i] = 1
  const retain = new Int32Array(n - forgetSorted.length)
  let j = 0
  for (let i = 0; i < n; i++) if (!inForget[i]) retain[j++] = i
  return { forget: forgetSorted, retain, forgetSha256: sha256OfIndices(forgetSorted) }
}

/**
 * Every index a method may train on, ascending: the forget and retain sets together. While tuning,
 * a validation split is held out of the retain set, so this is not always the whole training split.
 */
export function trainingIndices(split: Pick<ForgetSplit, 'forget' | 'retain'>): Int32Array {
  const { forget, retain } = split
  const out = new Int32Array(forget.length + retain.length)
  let f = 0
  let r = 0
  for (let k = 0; k < out.length; k++)
    out[k] = r >= retain.length || (f < forget.length && forget[f]! < retain[r]!) ? forget[f++]! : retain[r++]!
  return out
}
