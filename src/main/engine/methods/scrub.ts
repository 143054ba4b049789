import * as tf from '@tensorflow/tfjs'
import type { MethodParams } from '../../../shared/methods'
import type { FunctionalModel } from '../model/functional-model'
import type { Batch } from '../train/custom-epoch'
import { distillationKl, meanCrossEntropy } from '../train/loss'
import type { UnlearningMethod } from './context'
import { trainCustomEpochs } from './custom-epochs'
import { METHOD_CATALOG } from '../../../shared/methods'

/**
 * SCRUB: a student copy of the original is trained against the original as teacher. In the first
 * `maxEpochs` epochs a max-step pass on the forget set ascends CE + α·T²·KL(teacher ‖ student);
 * every epoch then descends the same objective on the retain set, with the catalog's recipe.
 */
export const scrub: UnlearningMethod = (ctx) => {
  const p = ctx.params as MethodParams<'scrub'>
  const objective = (student: FunctionalModel, b: Batch): tf.Scalar => {
    const logits = student.forward(b.x, { training: true })
    const kl = distillationKl(ctx.original.forward(b.x), logits, p.temperature)
    return tf.add(meanCrossEntropy(logits, b.y), tf.mul(kl, p.alpha * p.temperature ** 2)) as tf.Scalar
  }
  const recipe = METHOD_CATALOG.scrub.recipe
  return trainCustomEpochs(ctx, {
    epochs: p.epochs,
    label: 'scrub',
    optimizer: { kind: recipe.optimizer, momentum: recipe.momentum, weightDecay: recipe.weightDecay },
    passes: (student, _vars, epoch) => [
      ...(epoch < p.maxEpochs ? [{ indices: ctx.split.forget, learningRate: p.learningRate, loss: (b: Batch) => tf.neg(objective(student, b)) as tf.Scalar }] : []),
      { indices: ctx.split.retain, learningRate: p.learningRate, loss: (b: Batch) => objective(student, b) }
    ]
  })
}
