import * as tf from '@tensorflow/tfjs'
import { METHOD_CATALOG, type MethodParams } from '@shared/methods'
import { accuracy } from '../eval/accuracy'
import { isCollapsed } from '../eval/health'
import type { FunctionalModel } from '../model/functional-model'
import { runCustomEpoch } from '../train/custom-epoch'
import { perSampleCrossEntropy } from '../train/loss'
import { optimizerOf } from '../train/core'
import { createOptimizer } from '../train/optimizers'
import { hashSeed } from '../util/random'
import type { MethodInputs, MethodOutcome } from './context'
import { defineMethod } from './define'
import { npoLoss } from './npo-loss'
import { removalThreshold } from './removal-threshold'

/** NPO's settings, or gradient ascent's (which has no β). */
type RemovalParams = MethodParams<'npo'> | MethodParams<'gradient-ascent'>

/**
 * Removal on the forget set alone, epoch by epoch, until forget accuracy is at most the threshold;
 * the epoch with the best label-free proxy acc(retain)·(1 − max(acc(forget), γ)) is returned, never
 * one whose retain accuracy collapsed to guessing.
 * `npo` minimises NPO against the original; `gradient-ascent` maximises the cross-entropy. Both
 * train with their catalog recipe (constant rate).
 */
async function removal(kind: 'npo' | 'gradient-ascent', ctx: MethodInputs, p: RemovalParams): Promise<MethodOutcome> {
  const threshold = await removalThreshold(p.removalThreshold, ctx)
  const model = ctx.original.clone()
  const optimizer = createOptimizer(optimizerOf(METHOD_CATALOG[kind].recipe))
  const vars = model.trainableVariables()
  const proxyOf = async (m: FunctionalModel) => {
    const f = await accuracy(m, ctx.train, ctx.split.forget)
    const keeping = await accuracy(m, ctx.train, ctx.split.retain)
    // A collapsed model forgets everything, so its proxy can beat the original's; it is never kept.
    return { f, proxy: isCollapsed(keeping, ctx.original.graph.numClasses) ? -1 : keeping * (1 - Math.max(f, threshold)) }
  }
  // The best checkpoint so far, owned here until it is returned.
  const start = await proxyOf(ctx.original)
  let best: { model: FunctionalModel | null; proxy: number; epoch: number } = { model: ctx.original.clone(), proxy: start.proxy, epoch: 0 }
  let steps = 0
  try {
    let forgetAccuracy = start.f
    for (let epoch = 1; epoch <= p.maxEpochs && forgetAccuracy > threshold; epoch++) {
      const run = await runCustomEpoch({
        data: ctx.train,
        indices: ctx.split.forget,
        batchSize: ctx.spec.train.batchSize,
        seed: hashSeed(ctx.seed, `${kind}-${epoch}`),
        vars,
        optimizer,
        learningRate: p.learningRate,
        augment: ctx.spec.train.augment,
        stepOffset: steps,
        cancel: ctx.cancel,
        loss: (b) => {
          const ce = perSampleCrossEntropy(model.forward(b.x), b.y)
          return 'beta' in p ? tf.mean(npoLoss(ce, perSampleCrossEntropy(ctx.original.forward(b.x), b.y), p.beta)) : tf.neg(tf.mean(ce))
        }
      })
      steps += run.steps
      const now = await proxyOf(model)
      forgetAccuracy = now.f
      if (now.proxy > best.proxy) {
        best.model?.dispose()
        best = { model: model.clone(), proxy: now.proxy, epoch }
      }
      ctx.progress(epoch / p.maxEpochs, `epoch ${epoch}: forget accuracy ${forgetAccuracy.toFixed(2)}`)
    }
    const chosen = best.model!
    best.model = null
    return { model: chosen, steps, extraMetrics: { bestEpoch: best.epoch, removalThreshold: threshold } }
  } finally {
    best.model?.dispose()
    model.dispose()
    optimizer.dispose()
  }
}

export const npo = defineMethod('npo', (ctx) => removal('npo', ctx, ctx.params))

export const gradientAscent = defineMethod('gradient-ascent', (ctx) => removal('gradient-ascent', ctx, ctx.params))
