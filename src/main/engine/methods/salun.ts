import { METHOD_CATALOG } from '@shared/methods'
import { defineMethod } from './define'
import { localize, topFractionMask } from './localization'
import { trainWithRandomLabels } from './simple-baselines'

/**
 * SalUn as its authors define it: a weight-saliency mask, the `saliency` fraction of all weights
 * with the largest |Σ gradient of the forget loss| (one global threshold), then random-label
 * finetuning that updates only the masked weights.
 */
export const salun = defineMethod('salun', async (ctx) => {
  const p = ctx.params
  const scores = await localize('salun', ctx.original, ctx.train, ctx.split.forget, ctx.spec.train.batchSize, ctx.seed)
  const masks = topFractionMask(scores, p.saliency)
  ctx.progress(0.05, 'saliency mask computed')
  const outcome = await trainWithRandomLabels(ctx, {
    epochs: p.epochs,
    learningRate: p.learningRate,
    recipe: METHOD_CATALOG.salun.recipe,
    masks
  })
  const total = masks.reduce((n, m) => n + m.length, 0)
  const selected = masks.reduce((n, m) => n + m.reduce((a, b) => a + b, 0), 0)
  return { ...outcome, extraMetrics: { maskFraction: selected / total } }
})
