import * as tf from '@tensorflow/tfjs'
import { METHOD_CATALOG } from '@shared/methods'
import type { FunctionalModel } from '../model/functional-model'
import { meanCrossEntropy } from '../train/loss'
import type { MnemonicCodes } from '../train/mnemonic-codes'
import { defineMethod } from './define'

export const FISHER_FLOOR = METHOD_CATALOG.mnemonic.recipe.fisherFloor

export class MissingCodesError extends Error {
  override name = 'MissingCodesError'
  constructor() {
    super(
      'This model was trained without mnemonic codes, which one-shot Mnemonic-code unlearning needs. Add "mnemonicCodes": { "tMix": 0.1 } to the task\'s "train" settings (or fine-tune an imported model with codes first) and run the audit again.'
    )
  }
}

/**
 * Diagonal empirical Fisher from the codes alone: one backprop per class on its code (eval mode),
 * squared gradients averaged over the forget classes (F_F) and over the rest (F_R), each floored.
 */
export function codeFishers(
  model: FunctionalModel,
  codes: MnemonicCodes,
  forget: Set<number>
): { forget: Float32Array[]; retain: Float32Array[] } {
  const vars = model.trainableVariables()
  const sums = {
    forget: vars.map((v) => new Float32Array(v.size).fill(FISHER_FLOOR)),
    retain: vars.map((v) => new Float32Array(v.size).fill(FISHER_FLOOR))
  }
  const size = codes.inputShape.reduce((a, b) => a * b, 1)
  for (let c = 0; c < codes.classes; c++) {
    const grads = tf.tidy(() => {
      const x = tf.tensor(codes.values.subarray(c * size, (c + 1) * size), [1, ...codes.inputShape])
      const { grads: g } = tf.variableGrads(() => meanCrossEntropy(model.forward(x), tf.tensor1d([c], 'int32')), vars)
      return vars.map((v) => g[v.name]!)
    })
    const target = forget.has(c) ? sums.forget : sums.retain
    grads.forEach((g, i) => {
      const values = g.dataSync()
      const acc = target[i]!
      for (let j = 0; j < values.length; j++) acc[j]! += values[j]! * values[j]!
    })
    tf.dispose(grads)
  }
  const nF = forget.size
  const nR = codes.classes - nF
  for (const a of sums.forget) for (let j = 0; j < a.length; j++) a[j]! /= nF
  for (const a of sums.retain) for (let j = 0; j < a.length; j++) a[j]! /= nR
  return sums
}

/** Per tensor: η = F_F / F_R and α = min(λ1, λ2 / max η). */
export function perturbation(
  fishers: { forget: Float32Array[]; retain: Float32Array[] },
  lambda1: number,
  lambda2: number
): Array<{ eta: Float32Array; alpha: number }> {
  return fishers.forget.map((f, i) => {
    const r = fishers.retain[i]!
    const eta = Float32Array.from(f, (v, j) => v / r[j]!)
    let max = 0
    for (const v of eta) if (Number.isFinite(v) && v > max) max = v
    return { eta, alpha: max > 0 ? Math.min(lambda1, lambda2 / max) : lambda1 }
  })
}

function codeAccuracy(model: FunctionalModel, codes: MnemonicCodes, forget: Set<number>): { forget: number; retain: number } {
  const pred = tf.tidy(() => tf.argMax(model.forward(tf.tensor(codes.values, [codes.classes, ...codes.inputShape])), 1).dataSync())
  let f = 0
  let r = 0
  for (let c = 0; c < codes.classes; c++) {
    if (pred[c] !== c) continue
    if (forget.has(c)) f++
    else r++
  }
  return { forget: f / forget.size, retain: r / (codes.classes - forget.size) }
}

/**
 * One-shot Mnemonic-code unlearning: shift every parameter by ±α·η (one global sign) and keep the
 * candidate with the higher (1 − acc_F) + acc_R on the codes. No training data is touched.
 */
export const mnemonic = defineMethod('mnemonic', async (ctx) => {
  const p = ctx.params
  const task = ctx.spec.task
  if (task.kind !== 'class') throw new Error('Mnemonic-code unlearning forgets whole classes: use a task of kind "class"')
  if (!ctx.codes) throw new MissingCodesError()
  const forget = new Set(task.classes)
  const fishers = codeFishers(ctx.original, ctx.codes, forget)
  const shifts = perturbation(fishers, p.lambda1, p.lambda2)
  const candidates = ([1, -1] as const).map((sign) => {
    const m = ctx.original.clone()
    m.trainableVariables().forEach((v, i) => {
      const { eta, alpha } = shifts[i]!
      tf.tidy(() => v.assign(tf.add(v, tf.mul(tf.tensor(eta, v.shape), sign * alpha))))
    })
    const acc = codeAccuracy(m, ctx.codes!, forget)
    return { model: m, sign, score: 1 - acc.forget + acc.retain }
  })
  // Ties go to the minus direction, as in the reference code.
  const [plus, minus] = candidates as [(typeof candidates)[0], (typeof candidates)[0]]
  const chosen = plus.score > minus.score ? plus : minus
  ;(chosen === plus ? minus : plus).model.dispose()
  return { model: chosen.model, steps: 0, extraMetrics: { mnemonicSign: chosen.sign, mnemonicCodeScore: chosen.score } }
})
