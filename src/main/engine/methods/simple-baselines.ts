import { trainingIndices } from '../data/splits'
import * as tf from '@tensorflow/tfjs'
import { METHOD_CATALOG, type TrainingRecipe } from '@shared/methods'
import type { Batch } from '../train/core'
import { meanCrossEntropy } from '../train/loss'
import { trainClassifier } from '../train/loop'
import { gatherBatch } from '../train/tensor-data'
import { createRng, hashSeed } from '../util/random'
import type { MethodInputs, MethodOutcome } from './context'
import { defineMethod } from './define'
import { trainOnObjectives } from './objective-training'

/** NegGrad+: w·CE(retain batch) − (1 − w)·CE(forget batch), forget batches cycled beside the retain ones, with the catalog's recipe. */
export const negGradPlus = defineMethod('neggrad-plus', (ctx) => {
  const p = ctx.params
  const forget = ctx.split.forget
  const batch = ctx.spec.train.batchSize
  let cursor = 0
  return trainOnObjectives(ctx, {
    epochs: p.epochs,
    label: 'neggrad',
    recipe: METHOD_CATALOG['neggrad-plus'].recipe,
    learningRate: p.learningRate,
    passes: (model) => {
      const loss = (b: Batch) => {
        const ids = Int32Array.from({ length: Math.min(batch, forget.length) }, (_, k) => forget[(cursor + k) % forget.length]!)
        cursor = (cursor + ids.length) % forget.length
        const f = gatherBatch(ctx.train, ids)
        const retainTerm = tf.mul(meanCrossEntropy(model.forward(b.x, { training: true }), b.y), p.retainWeight)
        const forgetTerm = tf.mul(meanCrossEntropy(model.forward(f.x, { training: true }), f.y), 1 - p.retainWeight)
        return tf.sub<tf.Scalar>(retainTerm, forgetTerm)
      }
      return [{ indices: ctx.split.retain, loss }]
    }
  })
})

/** ℓ1-sparse: CE on the retain set plus α_t·‖θ‖₁, α_t decaying linearly from α per epoch; the catalog's recipe (cosine per epoch). */
export const l1Sparse = defineMethod('l1-sparse', (ctx) => {
  const p = ctx.params
  return trainOnObjectives(ctx, {
    epochs: p.epochs,
    label: 'l1',
    recipe: METHOD_CATALOG['l1-sparse'].recipe,
    learningRate: p.learningRate,
    passes: (model, vars, epoch) => {
      const alpha = p.alpha * (1 - epoch / p.epochs)
      const loss = (b: Batch) =>
        tf.add<tf.Scalar>(
          meanCrossEntropy(model.forward(b.x, { training: true }), b.y),
          tf.mul(tf.addN(vars.map((v) => tf.sum(tf.abs(v)))), alpha)
        )
      return [{ indices: ctx.split.retain, loss }]
    }
  })
})

/**
 * Finetunes a copy of the original on the retain set plus the forget set relabelled with uniformly
 * random wrong classes, with the given catalog recipe. With `masks` (0/1 per element of each
 * trainable weight, in model order) only the masked elements move.
 */
export async function trainWithRandomLabels(
  ctx: MethodInputs,
  o: { epochs: number; learningRate: number; recipe: TrainingRecipe; masks?: Uint8Array[] }
): Promise<MethodOutcome> {
  const classes = ctx.original.graph.numClasses
  const rng = createRng(hashSeed(ctx.seed, 'random-labels'))
  const labels = Int32Array.from(ctx.train.labels)
  for (const i of ctx.split.forget) labels[i] = (labels[i]! + 1 + Math.floor(rng() * (classes - 1))) % classes
  const y = tf.tensor1d(labels, 'int32')
  const model = ctx.original.clone()
  const gradientMasks = o.masks
    ? new Map(model.trainableVariables().map((v, i) => [v, tf.tensor(Float32Array.from(o.masks![i]!), v.shape)]))
    : undefined
  const r = o.recipe
  try {
    const result = await trainClassifier(
      model,
      { ...ctx.train, y, labels },
      {
        indices: trainingIndices(ctx.split),
        epochs: o.epochs,
        batchSize: r.batchSize ?? ctx.spec.train.batchSize,
        optimizer: r.optimizer,
        momentum: r.momentum,
        learningRate: o.learningRate,
        schedule: r.schedule,
        scheduleFloor: r.scheduleFloor,
        // The recipe has no weight decay, so a zero in a gradient mask freezes that element exactly.
        weightDecay: r.weightDecay,
        gradientMasks,
        augment: ctx.spec.train.augment,
        seed: hashSeed(ctx.seed, 'random-label-order'),
        cancel: ctx.cancel,
        onProgress: (s) => ctx.progress(s.step / s.totalSteps, `epoch ${s.epoch + 1}/${o.epochs}`)
      }
    )
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
export const randomLabel = defineMethod('random-label', (ctx) =>
  trainWithRandomLabels(ctx, {
    epochs: ctx.params.epochs,
    learningRate: ctx.params.learningRate,
    recipe: METHOD_CATALOG['random-label'].recipe
  })
)
