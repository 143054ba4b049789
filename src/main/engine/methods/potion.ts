import { METHOD_CATALOG } from '@shared/methods'
import { accuracy } from '../eval/accuracy'
import type { FunctionalModel } from '../model/functional-model'
import { throwIfCancelled } from '../util/cancel'
import { defineMethod } from './define'
import { ABS_OUTPUT_NORM_GRADIENT, applyDampening, dampeningFactors, parameterImportance } from './importance'

function percentile(values: Float32Array, pct: number): number {
  const sorted = Float32Array.from(values).sort()
  const k = Math.min(sorted.length - 1, Math.max(0, Math.ceil((pct / 100) * sorted.length) - 1))
  return sorted[k]!
}

/**
 * Potion: adaptive, label-free selective synaptic dampening. Parameters far more important to the
 * forget set than to the retain set (importance = mean |∂‖f(x)‖₂/∂θ|, no labels needed) are
 * shrunk; the selection threshold loosens step by step until the forget set is forgotten.
 */
export const potion = defineMethod('potion', async (ctx) => {
  const p = ctx.params
  const recipe = METHOD_CATALOG.potion.recipe
  const batch = ctx.spec.train.batchSize
  const forgetImp = await parameterImportance(ctx.original, ctx.train, ctx.split.forget, batch, ABS_OUTPUT_NORM_GRADIENT)
  const retainImp = await parameterImportance(ctx.original, ctx.train, ctx.split.retain, batch, ABS_OUTPUT_NORM_GRADIENT)
  const ratios = new Float32Array(forgetImp.reduce((n, a) => n + a.length, 0))
  let offset = 0
  forgetImp.forEach((f, i) => {
    const r = retainImp[i]!
    for (let j = 0; j < f.length; j++) ratios[offset + j] = f[j]! / Math.max(r[j]!, recipe.ratioFloor)
    offset += f.length
  })
  const startAccuracy = await accuracy(ctx.original, ctx.train, ctx.split.forget)
  const target = Math.max(p.relativeCut * startAccuracy, 0)
  let frac = ctx.split.forget.length / (ctx.split.forget.length + ctx.split.retain.length)
  let model: FunctionalModel | null = null
  let tries = 0
  for (; tries < p.maxTries; tries++) {
    throwIfCancelled(ctx.cancel)
    model?.dispose()
    model = ctx.original.clone()
    const alpha = percentile(ratios, 100 - Math.log(1 + recipe.selectionScale * frac))
    applyDampening(
      model,
      forgetImp.map((f, i) => dampeningFactors(f, retainImp[i]!, alpha, p.lambda))
    )
    const forgetAccuracy = await accuracy(model, ctx.train, ctx.split.forget)
    ctx.progress((tries + 1) / p.maxTries, `try ${tries + 1}: forget accuracy ${forgetAccuracy.toFixed(2)}`)
    if (forgetAccuracy <= target || forgetAccuracy <= p.absoluteCut) break
    frac *= recipe.loosenFactor
  }
  return { model: model!, steps: 0, extraMetrics: { potionTries: tries + 1 } }
})
