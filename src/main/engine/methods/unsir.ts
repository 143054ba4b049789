import * as tf from '@tensorflow/tfjs'
import { ownedVariable } from '../util/tensors'
import { METHOD_CATALOG, type MethodParams } from '@shared/methods'
import type { FunctionalModel } from '../model/functional-model'
import { meanCrossEntropy } from '../train/loss'
import { trainClassifier } from '../train/loop'
import type { TensorSplit } from '../train/tensor-data'
import { throwIfCancelled, yieldToEventLoop } from '../util/cancel'
import { hashSeed } from '../util/random'
import { defineMethod } from './define'

const RECIPE = METHOD_CATALOG.unsir.recipe

/** The optimisers the noise can be learnt with (the recipe's `noiseOptimizer`). */
const NOISE_OPTIMIZERS = { adam: (lr: number) => tf.train.adam(lr), sgd: (lr: number) => tf.train.sgd(lr) }

/**
 * UNSIR: per forgotten class, noise that maximises the model's error on that class; then Impair
 * (noise copies labelled with their class plus a small retain subset, one epoch at a high
 * learning rate) and Repair (the retain subset alone). No forget-set samples are used.
 */
async function learnNoise(
  model: FunctionalModel,
  cls: number,
  p: MethodParams<'unsir'>,
  inputShape: number[],
  seed: number,
  cancel: { cancelled: boolean }
): Promise<tf.Tensor> {
  const noise = ownedVariable(
    () => tf.randomNormal([p.noiseBatch, ...inputShape], 0, 1, 'float32', hashSeed(seed, `unsir-noise-${cls}`)),
    true
  )
  const optimizer = NOISE_OPTIMIZERS[RECIPE.noiseOptimizer](p.noiseLearningRate)
  const labels = tf.fill([p.noiseBatch], cls, 'int32') as tf.Tensor1D
  try {
    for (let step = 0; step < p.noiseSteps; step++) {
      throwIfCancelled(cancel)
      // BN statistics are held (eval mode): the noise must not rewrite the model's running statistics.
      optimizer.minimize(
        () => {
          const ce = meanCrossEntropy(model.forward(noise), labels)
          const norm = tf.mean(
            tf.sum(
              tf.square(noise),
              [...inputShape.keys()].map((a) => a + 1)
            )
          )
          return tf.add(tf.neg(ce), tf.mul(norm, p.noiseWeight)) as tf.Scalar
        },
        false,
        [noise]
      )
      await yieldToEventLoop()
    }
    return tf.clone(noise)
  } finally {
    noise.dispose()
    optimizer.dispose()
    labels.dispose()
  }
}

/** The first `perClass` training samples of each retained class (index order, as the reference code takes them). */
function retainSubset(labels: Int32Array, retain: Int32Array, forgotten: Set<number>, perClass: number): Int32Array {
  const taken = new Map<number, number>()
  const out: number[] = []
  for (const i of retain) {
    const y = labels[i]!
    if (forgotten.has(y)) continue
    const n = taken.get(y) ?? 0
    if (n < perClass) {
      out.push(i)
      taken.set(y, n + 1)
    }
  }
  return Int32Array.from(out)
}

function splitOf(x: tf.Tensor, labels: Int32Array): TensorSplit {
  return { x, y: tf.tensor1d(labels, 'int32'), labels, count: labels.length }
}

export const unsir = defineMethod('unsir', async (ctx) => {
  const p = ctx.params
  const task = ctx.spec.task
  if (task.kind !== 'class') throw new Error('UNSIR forgets whole classes: use a task of kind "class"')
  const forgotten = new Set(task.classes)
  const inputShape = ctx.original.graph.inputShape
  const model = ctx.original.clone()
  const tensors: tf.Tensor[] = []
  try {
    const subset = retainSubset(ctx.train.labels, ctx.split.retain, forgotten, p.retainPerClass)
    const retainX = tf.tidy(() => tf.gather(ctx.train.x, tf.tensor1d(subset, 'int32')))
    tensors.push(retainX)
    const retainLabels = Int32Array.from(subset, (i) => ctx.train.labels[i]!)
    const noiseParts: tf.Tensor[] = []
    const noiseLabels: number[] = []
    for (const [k, cls] of task.classes.entries()) {
      const noise = await learnNoise(model, cls, p, inputShape, ctx.seed, ctx.cancel)
      tensors.push(noise)
      // The reference notebook appends a few samples per repetition and labels all noise 0 (known bugs).
      const perCopy = p.referenceNotebook ? Math.min(RECIPE.notebookSamplesPerCopy, p.noiseBatch) : p.noiseBatch
      const sample = perCopy === p.noiseBatch ? noise : tf.slice(noise, 0, perCopy)
      if (sample !== noise) tensors.push(sample)
      for (let c = 0; c < p.noiseCopies; c++) {
        noiseParts.push(sample)
        for (let j = 0; j < perCopy; j++) noiseLabels.push(p.referenceNotebook ? 0 : cls)
      }
      ctx.progress((0.5 * (k + 1)) / task.classes.length, `noise for class ${cls} learned`)
    }
    const impairX = tf.concat([...noiseParts, retainX])
    tensors.push(impairX)
    const impair = splitOf(impairX, Int32Array.from([...noiseLabels, ...retainLabels]))
    tensors.push(impair.y)
    const common = {
      epochs: RECIPE.epochs,
      batchSize: RECIPE.batchSize,
      optimizer: RECIPE.optimizer,
      schedule: RECIPE.schedule,
      augment: ctx.spec.train.augment,
      cancel: ctx.cancel
    }
    const noiseSteps = p.noiseSteps * task.classes.length
    const a = await trainClassifier(model, impair, {
      ...common,
      indices: Int32Array.from({ length: impair.count }, (_, i) => i),
      learningRate: p.impairLearningRate,
      seed: hashSeed(ctx.seed, 'unsir-impair'),
      stepOffset: noiseSteps
    })
    ctx.progress(0.75, 'impaired')
    const repair = splitOf(retainX, retainLabels)
    tensors.push(repair.y)
    const r = await trainClassifier(model, repair, {
      ...common,
      indices: Int32Array.from({ length: repair.count }, (_, i) => i),
      learningRate: p.repairLearningRate,
      seed: hashSeed(ctx.seed, 'unsir-repair'),
      stepOffset: noiseSteps + a.steps
    })
    return { model, steps: noiseSteps + a.steps + r.steps, extraMetrics: { noiseSamples: noiseLabels.length, retainSubset: subset.length } }
  } catch (err) {
    model.dispose()
    throw err
  } finally {
    tf.dispose(tensors)
  }
})
