import * as tf from '@tensorflow/tfjs'
import { METHOD_CATALOG } from '@shared/methods'
import type { FunctionalModel } from '../model/functional-model'
import type { Batch } from '../train/core'
import { distillationKl, meanCrossEntropy } from '../train/loss'
import { defineMethod } from './define'
import { trainOnObjectives } from './objective-training'

/**
 * SCRUB: a student copy of the original is trained against the original as teacher. In the first
 * `maxEpochs` epochs a max-step pass on the forget set ascends CE + α·T²·KL(teacher ‖ student);
 * every epoch then descends the same objective on the retain set, with the catalog's recipe.
 */
export const scrub = defineMethod('scrub', (ctx) => {
  const p = ctx.params
  const objective = (student: FunctionalModel, b: Batch): tf.Scalar => {
    const logits = student.forward(b.x, { training: true })
    const kl = distillationKl(ctx.original.forward(b.x), logits, p.temperature)
    return tf.add(meanCrossEntropy(logits, b.y), tf.mul(kl, p.alpha * p.temperature ** 2))
  }
  return trainOnObjectives(ctx, {
    epochs: p.epochs,
    label: 'scrub',
    recipe: METHOD_CATALOG.scrub.recipe,
    learningRate: p.learningRate,
    passes: (student, _vars, epoch) => [
      ...(epoch < p.maxEpochs ? [{ indices: ctx.split.forget, loss: (b: Batch) => tf.neg(objective(student, b)) }] : []),
      { indices: ctx.split.retain, loss: (b: Batch) => objective(student, b) }
    ]
  })
})
