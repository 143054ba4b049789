import { trainingIndices } from '../data/splits'
import { defineMethod } from './define'
import { SQUARED_LOSS_GRADIENT, applyDampening, dampeningFactors, parameterImportance } from './importance'

/**
 * SSD, selective synaptic dampening: no training. Importance is the mean squared gradient of the
 * loss on the forget set and on the full training set; parameters with imp_f > α·imp_D are
 * scaled by min(1, λ·imp_D/imp_f).
 */
export const ssd = defineMethod('ssd', async (ctx) => {
  const p = ctx.params
  const batch = ctx.spec.train.batchSize
  const everything = trainingIndices(ctx.split)
  const forgetImp = await parameterImportance(ctx.original, ctx.train, ctx.split.forget, batch, SQUARED_LOSS_GRADIENT)
  ctx.progress(0.3, 'forget-set importance measured')
  const fullImp = await parameterImportance(ctx.original, ctx.train, everything, batch, SQUARED_LOSS_GRADIENT)
  ctx.progress(0.9, 'training-set importance measured')
  const model = ctx.original.clone()
  const dampenedFraction = applyDampening(
    model,
    forgetImp.map((f, i) => dampeningFactors(f, fullImp[i]!, p.alpha, p.lambda))
  )
  return { model, steps: 0, extraMetrics: { dampenedFraction } }
})
