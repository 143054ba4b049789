import * as tf from '@tensorflow/tfjs'
import { METHOD_CATALOG } from '@shared/methods'
import { initialWeightValue } from '../model/functional-model'
import { weightNamesOf } from '../model/graph'
import { hashSeed } from '../util/random'
import { defineMethod } from './define'
import { localize, topFractionMask } from './localization'
import { trainOnRetain } from './retain-training'

/**
 * DEL, Deletion by Example Localization: score parameters on the forget set, reset the top α of
 * them to fresh initial values (BN γ=1, β=0; running statistics kept), then finetune only those
 * plus the whole classifier head on the retain set.
 */
export const del = defineMethod('del', async (ctx) => {
  const p = ctx.params
  const model = ctx.original.clone()
  const scores = await localize(p.localization, ctx.original, ctx.train, ctx.split.forget, ctx.spec.train.batchSize, ctx.seed)
  const masks = topFractionMask(scores, p.budget)
  const names = model.orderedWeightNames().filter((n) => !n.endsWith('moving_mean') && !n.endsWith('moving_variance'))
  const vars = model.trainableVariables()
  const head = new Set(weightNamesOf(model.graph.nodes.find((n) => n.name === model.graph.output)!))
  const gradientMasks = new Map<tf.Variable, tf.Tensor>()
  const resetByLayer: Record<string, number> = {}
  vars.forEach((v, i) => {
    const mask = masks[i]!
    const name = names[i]!
    const fresh = initialWeightValue(name, v.shape, hashSeed(ctx.seed, `del-reset-${name}`))
    tf.tidy(() => {
      const m = tf.tensor(Float32Array.from(mask), v.shape)
      v.assign(tf.add(tf.mul(v, tf.sub(1, m)), tf.mul(fresh, m)))
    })
    fresh.dispose()
    const layer = name.slice(0, name.lastIndexOf('/'))
    resetByLayer[layer] = (resetByLayer[layer] ?? 0) + mask.reduce((a, b) => a + b, 0)
    // The head is always trained in full; everything else only where it was reset.
    gradientMasks.set(v, head.has(name) ? tf.ones(v.shape) : tf.tensor(Float32Array.from(mask), v.shape))
  })
  try {
    const outcome = await trainOnRetain(ctx, model, {
      epochs: p.epochs ?? ctx.spec.train.epochs,
      learningRate: p.learningRate,
      orderLabel: 'del-finetune',
      recipe: METHOD_CATALOG.del.recipe,
      overrides: { gradientMasks }
    })
    const total = masks.reduce((n, m) => n + m.length, 0)
    const reset = masks.reduce((n, m) => n + m.reduce((a, b) => a + b, 0), 0)
    return { ...outcome, extraMetrics: { resetFraction: reset / total, ...prefixed(resetByLayer) } }
  } finally {
    gradientMasks.forEach((m) => m.dispose())
  }
})

/** Per-layer counts as flat metrics, `resetElements.<layer>`. */
function prefixed(counts: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).map(([layer, n]) => [`resetElements.${layer}`, n]))
}
