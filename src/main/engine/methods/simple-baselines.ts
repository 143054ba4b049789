import * as tf from '@tensorflow/tfjs'
import type { MethodParams } from '../../../shared/methods'
import type { FunctionalModel } from '../model/functional-model'
import { type Batch, runCustomEpoch } from '../train/custom-epoch'
import { meanCrossEntropy } from '../train/loss'
import { trainClassifier } from '../train/loop'
import { createOptimizer, scheduledRate } from '../train/optimizers'
import { gatherBatch } from '../train/tensor-data'
import { createRng, hashSeed } from '../util/random'
import type { MethodContext, MethodOutcome, UnlearningMethod } from './context'

/**
 * Epochs of a custom objective over the retain set, on a copy of the original with momentum SGD:
 * the loop NegGrad+ and ℓ1-sparse share. `learningRate(epoch)` and `loss(model, epoch)` vary.
 */
async function retainEpochs(
  ctx: MethodContext,
  o: { epochs: number; label: string; learningRate: (epoch: number) => number; loss: (model: FunctionalModel, vars: tf.Variable[], epoch: number) => (b: Batch) => tf.Scalar }
): Promise<MethodOutcome> {
  const model = ctx.original.clone()
  const vars = model.trainableVariables()
  const optimizer = createOptimizer({ kind: 'sgd', momentum: 0.9 })
  let steps = 0
  try {
    for (let epoch = 0; epoch < o.epochs; epoch++) {
      const run = await runCustomEpoch({
        data: ctx.train,
        indices: ctx.split.retain,
        batchSize: ctx.spec.train.batchSize,
        seed: hashSeed(ctx.seed, `${o.label}-${epoch}`),
        vars,
        optimizer,
        learningRate: o.learningRate(epoch),
        cancel: ctx.cancel,
        loss: o.loss(model, vars, epoch)
      })
      steps += run.steps
      ctx.progress((epoch + 1) / o.epochs, `epoch ${epoch + 1}/${o.epochs}`)
    }
    return { model, steps }
  } catch (err) {
    model.dispose()
    throw err
  } finally {
    optimizer.dispose()
  }
}

/** NegGrad+: 0.99·CE(retain batch) − 0.01·CE(forget batch), forget batches cycled beside the retain ones; constant LR. */
export const negGradPlus: UnlearningMethod = (ctx) => {
  const p = ctx.params as MethodParams<'neggrad-plus'>
  const forget = ctx.split.forget
  const batch = ctx.spec.train.batchSize
  let cursor = 0
  return retainEpochs(ctx, {
    epochs: p.epochs,
    label: 'neggrad',
    learningRate: () => p.learningRate,
    loss: (model) => (b) => {
      const ids = Int32Array.from({ length: Math.min(batch, forget.length) }, (_, k) => forget[(cursor + k) % forget.length]!)
      cursor = (cursor + ids.length) % forget.length
      const f = gatherBatch(ctx.train, ids)
      const retainTerm = tf.mul(meanCrossEntropy(model.forward(b.x, { training: true }), b.y), p.retainWeight)
      const forgetTerm = tf.mul(meanCrossEntropy(model.forward(f.x, { training: true }), f.y), 1 - p.retainWeight)
      return tf.sub(retainTerm, forgetTerm) as tf.Scalar
    }
  })
}

/** ℓ1-sparse: CE on the retain set plus α_t·‖θ‖₁, α_t decaying linearly from α; cosine (per epoch) to 0.01·lr. */
export const l1Sparse: UnlearningMethod = (ctx) => {
  const p = ctx.params as MethodParams<'l1-sparse'>
  return retainEpochs(ctx, {
    epochs: p.epochs,
    label: 'l1',
    learningRate: (epoch) => scheduledRate(p.learningRate, 'cosine', epoch, p.epochs, 0.01),
    loss: (model, vars, epoch) => (b) => {
      const alpha = p.alpha * (1 - epoch / p.epochs)
      return tf.add(meanCrossEntropy(model.forward(b.x, { training: true }), b.y), tf.mul(tf.addN(vars.map((v) => tf.sum(tf.abs(v)))), alpha)) as tf.Scalar
    }
  })
}

/**
 * Finetunes a copy of the original on the retain set plus the forget set relabelled with uniformly
 * random wrong classes; cosine to 0.5·lr. With `masks` (0/1 per element of each trainable weight,
 * in model order) only the masked elements move.
 */
export async function trainWithRandomLabels(
  ctx: MethodContext,
  o: { epochs: number; learningRate: number; masks?: Uint8Array[] }
): Promise<MethodOutcome> {
  const classes = ctx.original.graph.numClasses
  const rng = createRng(hashSeed(ctx.seed, 'random-labels'))
  const labels = Int32Array.from(ctx.train.labels)
  for (const i of ctx.split.forget) labels[i] = (labels[i]! + 1 + Math.floor(rng() * (classes - 1))) % classes
  const y = tf.tensor1d(labels, 'int32')
  const model = ctx.original.clone()
  const gradientMasks = o.masks ? new Map(model.trainableVariables().map((v, i) => [v, tf.tensor(Float32Array.from(o.masks![i]!), v.shape)])) : undefined
  try {
    const result = await trainClassifier(model, { ...ctx.train, y, labels }, {
      indices: Int32Array.from({ length: ctx.train.count }, (_, i) => i),
      epochs: o.epochs,
      batchSize: ctx.spec.train.batchSize,
      optimizer: 'sgd',
      learningRate: o.learningRate,
      schedule: 'cosine',
      scheduleFloor: 0.5,
      // No weight decay, so a zero in a gradient mask freezes that element exactly.
      weightDecay: 0,
      ...(gradientMasks ? { gradientMasks } : {}),
      seed: hashSeed(ctx.seed, 'random-label-order'),
      cancel: ctx.cancel,
      onProgress: (s) => ctx.progress(s.step / s.totalSteps, `epoch ${s.epoch + 1}/${o.epochs}`)
    })
    return { model, steps: result.steps }
  } catch (err) {
    model.dispose()
    throw err
  } finally {
    y.dispose()
    gradientMasks?.forEach((m) => m.dispose())
  }
}

/** Random labels on the forget set, finetuned together with the retain set. */
export const randomLabel: UnlearningMethod = (ctx) => {
  const p = ctx.params as MethodParams<'random-label'>
  return trainWithRandomLabels(ctx, p)
}
