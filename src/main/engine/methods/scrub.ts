import * as tf from '@tensorflow/tfjs'
import type { MethodParams } from '../../../shared/methods'
import type { FunctionalModel } from '../model/functional-model'
import { type Batch, runCustomEpoch } from '../train/custom-epoch'
import { distillationKl, meanCrossEntropy } from '../train/loss'
import { createOptimizer } from '../train/optimizers'
import { hashSeed } from '../util/random'
import type { UnlearningMethod } from './context'

/**
 * SCRUB: a student copy of the original is trained against the original as teacher. In the first
 * `maxEpochs` epochs a max-step epoch on the forget set ascends CE + α·T²·KL(teacher ‖ student);
 * every epoch then descends the same objective on the retain set. Momentum SGD, weight decay 5e-4.
 */
export const scrub: UnlearningMethod = async (ctx) => {
  const p = ctx.params as MethodParams<'scrub'>
  const student = ctx.original.clone()
  const vars = student.trainableVariables()
  const optimizer = createOptimizer({ kind: 'sgd', momentum: 0.9, weightDecay: 5e-4 })
  const objective = (model: FunctionalModel, b: Batch): tf.Scalar => {
    const logits = model.forward(b.x, { training: true })
    const kl = distillationKl(ctx.original.forward(b.x), logits, p.temperature)
    return tf.add(meanCrossEntropy(logits, b.y), tf.mul(kl, p.alpha * p.temperature ** 2)) as tf.Scalar
  }
  const epochOver = (indices: Int32Array, label: string, sign: 1 | -1) =>
    runCustomEpoch({
      data: ctx.train,
      indices,
      batchSize: ctx.spec.train.batchSize,
      seed: hashSeed(ctx.seed, label),
      vars,
      optimizer,
      learningRate: p.learningRate,
      cancel: ctx.cancel,
      loss: (b) => (sign === 1 ? objective(student, b) : tf.neg(objective(student, b)))
    })
  let steps = 0
  try {
    for (let epoch = 0; epoch < p.epochs; epoch++) {
      if (epoch < p.maxEpochs && ctx.split.forget.length > 0) steps += (await epochOver(ctx.split.forget, `scrub-max-${epoch}`, -1)).steps
      steps += (await epochOver(ctx.split.retain, `scrub-min-${epoch}`, 1)).steps
      ctx.progress((epoch + 1) / p.epochs, `epoch ${epoch + 1}/${p.epochs}${epoch < p.maxEpochs ? ' (max + min steps)' : ' (min steps)'}`)
    }
    return { model: student, steps }
  } catch (err) {
    student.dispose()
    throw err
  } finally {
    optimizer.dispose()
  }
}
