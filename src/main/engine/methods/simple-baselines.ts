import * as tf from '@tensorflow/tfjs'
import type { MethodParams } from '../../../shared/methods'
import type { Batch } from '../train/custom-epoch'
import { meanCrossEntropy } from '../train/loss'
import { trainClassifier } from '../train/loop'
import { scheduledRate } from '../train/optimizers'
import { gatherBatch } from '../train/tensor-data'
import { createRng, hashSeed } from '../util/random'
import type { MethodContext, MethodOutcome, UnlearningMethod } from './context'
import { trainCustomEpochs } from './custom-epochs'

/** NegGrad+: 0.99·CE(retain batch) − 0.01·CE(forget batch), forget batches cycled beside the retain ones; constant LR. */
export const negGradPlus: UnlearningMethod = (ctx) => {
  const p = ctx.params as MethodParams<'neggrad-plus'>
  const forget = ctx.split.forget
  const batch = ctx.spec.train.batchSize
  let cursor = 0
  return trainCustomEpochs(ctx, {
    epochs: p.epochs,
    label: 'neggrad',
    optimizer: { kind: 'sgd', momentum: 0.9 },
    passes: (model) => {
      const loss = (b: Batch) => {
        const ids = Int32Array.from({ length: Math.min(batch, forget.length) }, (_, k) => forget[(cursor + k) % forget.length]!)
        cursor = (cursor + ids.length) % forget.length
        const f = gatherBatch(ctx.train, ids)
        const retainTerm = tf.mul(meanCrossEntropy(model.forward(b.x, { training: true }), b.y), p.retainWeight)
        const forgetTerm = tf.mul(meanCrossEntropy(model.forward(f.x, { training: true }), f.y), 1 - p.retainWeight)
        return tf.sub(retainTerm, forgetTerm) as tf.Scalar
      }
      return [{ indices: ctx.split.retain, learningRate: p.learningRate, loss }]
    }
  })
}

/** ℓ1-sparse: CE on the retain set plus α_t·‖θ‖₁, α_t decaying linearly from α; cosine (per epoch) to 0.01·lr. */
export const l1Sparse: UnlearningMethod = (ctx) => {
  const p = ctx.params as MethodParams<'l1-sparse'>
  return trainCustomEpochs(ctx, {
    epochs: p.epochs,
    label: 'l1',
    optimizer: { kind: 'sgd', momentum: 0.9 },
    passes: (model, vars, epoch) => {
      const alpha = p.alpha * (1 - epoch / p.epochs)
      const loss = (b: Batch) => tf.add(meanCrossEntropy(model.forward(b.x, { training: true }), b.y), tf.mul(tf.addN(vars.map((v) => tf.sum(tf.abs(v)))), alpha)) as tf.Scalar
      return [{ indices: ctx.split.retain, learningRate: scheduledRate(p.learningRate, 'cosine', epoch, p.epochs, 0.01), loss }]
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
