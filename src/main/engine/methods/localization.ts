import * as tf from '@tensorflow/tfjs'
import { METHOD_CATALOG } from '@shared/methods'
import { ownedVariable } from '../util/tensors'
import type { FunctionalModel } from '../model/functional-model'
import { meanCrossEntropy } from '../train/loss'
import { gatherBatch, type TensorSplit } from '../train/tensor-data'
import { yieldToEventLoop } from '../util/cancel'
import { createRng, hashSeed } from '../util/random'

export type LocalizationKind = 'del' | 'salun' | 'random'

/** Per trainable weight (in model order), a score per element. */
export type Scores = Float32Array[]

/**
 * Σ over forget batches of the gradient of the batch-mean −CE, with the model in eval mode.
 * Summed before any absolute value, so signs may cancel across batches (as DEL's code does).
 */
export async function summedForgetGradients(
  model: FunctionalModel,
  data: TensorSplit,
  forget: Int32Array,
  batchSize: number
): Promise<Float32Array[]> {
  const vars = model.trainableVariables()
  const sums = vars.map((v) => ownedVariable(() => tf.zerosLike(v), false))
  try {
    for (let start = 0; start < forget.length; start += batchSize) {
      const { x, y } = gatherBatch(data, forget.subarray(start, start + batchSize))
      tf.tidy(() => {
        const { grads } = tf.variableGrads(() => tf.neg(meanCrossEntropy(model.forward(x), y)), vars)
        vars.forEach((v, i) => sums[i]!.assign(tf.add(sums[i]!, grads[v.name]!)))
      })
      tf.dispose([x, y])
      await yieldToEventLoop()
    }
    return Promise.all(sums.map(async (s) => Float32Array.from(await s.data())))
  } finally {
    sums.forEach((s) => s.dispose())
  }
}

/**
 * DEL's channel granularity in TF.js layout: a unit is the last axis. Each unit scores the mean of
 * its top-h entries, h = ⌊topFraction × units⌋ (at least 1; the fraction is DEL's recipe's
 * `channelTopFraction`), broadcast to all its entries. 1-D tensors keep per-element scores.
 */
export function channelScores(
  values: Float32Array,
  shape: number[],
  topFraction: number = METHOD_CATALOG.del.recipe.channelTopFraction
): Float32Array {
  if (shape.length < 2) return values
  const units = shape.at(-1)!
  const rows = values.length / units
  const h = Math.max(1, Math.floor(topFraction * units))
  const out = new Float32Array(values.length)
  const column = new Float32Array(rows)
  for (let u = 0; u < units; u++) {
    for (let r = 0; r < rows; r++) column[r] = values[r * units + u]!
    const top = Float32Array.from(column)
      .sort()
      .subarray(rows - Math.min(h, rows))
    const score = top.reduce((a, b) => a + b, 0) / top.length
    for (let r = 0; r < rows; r++) out[r * units + u] = score
  }
  return out
}

export async function localize(
  kind: LocalizationKind,
  model: FunctionalModel,
  data: TensorSplit,
  forget: Int32Array,
  batchSize: number,
  seed: number
): Promise<Scores> {
  const vars = model.trainableVariables()
  if (kind === 'random') {
    const rng = createRng(hashSeed(seed, 'random-localization'))
    return vars.map((v) => Float32Array.from({ length: v.size }, () => rng()))
  }
  const grads = await summedForgetGradients(model, data, forget, batchSize)
  if (kind === 'salun') return grads.map((g) => Float32Array.from(g, Math.abs))
  return Promise.all(
    vars.map(async (v, i) => {
      const theta = await v.data()
      const weighted = Float32Array.from(grads[i]!, (g, j) => Math.abs(g * theta[j]!))
      return channelScores(weighted, v.shape)
    })
  )
}

/**
 * The top `budget` fraction of all parameter elements by score, ranked globally. Ties break by
 * position (earlier weight, earlier element first), so the mask is deterministic.
 */
export function topFractionMask(scores: Scores, budget: number): Uint8Array[] {
  const total = scores.reduce((n, s) => n + s.length, 0)
  const k = Math.floor(budget * total)
  const flat = new Float32Array(total)
  let offset = 0
  for (const s of scores) {
    flat.set(s, offset)
    offset += s.length
  }
  const order = Int32Array.from({ length: total }, (_, i) => i).sort((a, b) => flat[b]! - flat[a]! || a - b)
  const selected = new Uint8Array(total)
  for (let i = 0; i < k; i++) selected[order[i]!] = 1
  const masks: Uint8Array[] = []
  offset = 0
  for (const s of scores) {
    masks.push(selected.slice(offset, offset + s.length))
    offset += s.length
  }
  return masks
}
