import * as tf from '@tensorflow/tfjs'
import { accuracy } from '../eval/accuracy'
import type { FunctionalModel } from '../model/functional-model'
import { runCustomEpoch } from '../train/custom-epoch'
import { perSampleCrossEntropy } from '../train/loss'
import { createOptimizer } from '../train/optimizers'
import { hashSeed } from '../util/random'
import type { UnlearningMethod } from './context'
import { npoLoss } from './npo-loss'
import { removalThreshold } from './removal-threshold'

interface RemovalParams {
  learningRate: number
  maxEpochs: number
  removalThreshold: number | 'auto'
  beta?: number
}

/**
 * Removal on the forget set alone, epoch by epoch, until forget accuracy is at most the threshold;
 * the epoch with the best label-free proxy acc(retain)·(1 − max(acc(forget), γ)) is returned.
 * `npo` minimises NPO against the original; `gradient-ascent` maximises the cross-entropy.
 */
export function removalMethod(kind: 'npo' | 'gradient-ascent'): UnlearningMethod {
  return async (ctx) => {
    const p = ctx.params as unknown as RemovalParams
    const threshold = await removalThreshold(p.removalThreshold, ctx)
    const model = ctx.original.clone()
    const optimizer = createOptimizer({ kind: 'sgd', momentum: 0.9 })
    const vars = model.trainableVariables()
    const proxyOf = async (m: FunctionalModel) => {
      const f = await accuracy(m, ctx.train, ctx.split.forget)
      return { f, proxy: (await accuracy(m, ctx.train, ctx.split.retain)) * (1 - Math.max(f, threshold)) }
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
          stepOffset: steps,
          cancel: ctx.cancel,
          loss: (b) => {
            const ce = perSampleCrossEntropy(model.forward(b.x), b.y)
            return kind === 'npo' ? tf.mean(npoLoss(ce, perSampleCrossEntropy(ctx.original.forward(b.x), b.y), p.beta ?? 1)) : tf.neg(tf.mean(ce))
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
}
