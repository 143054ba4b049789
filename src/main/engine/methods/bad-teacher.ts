import { trainingIndices } from '../data/splits'
import * as tf from '@tensorflow/tfjs'
import { METHOD_CATALOG } from '@shared/methods'
import { FunctionalModel } from '../model/functional-model'
import { distillationKl } from '../train/loss'
import { hashSeed } from '../util/random'
import { defineMethod } from './define'
import { trainOnObjectives } from './objective-training'

/**
 * Bad Teacher: the student (a copy of the original) is distilled over the whole training set,
 * toward a randomly initialised teacher on forget samples and toward the original on all others
 * (undiscovered corrupted samples included): KL(teacher ‖ student) at the recipe's temperature.
 */
export const badTeacher = defineMethod('bad-teacher', async (ctx) => {
  const p = ctx.params
  const recipe = METHOD_CATALOG['bad-teacher'].recipe
  const incompetent = FunctionalModel.initialize(ctx.original.graph, hashSeed(ctx.seed, 'bad-teacher'))
  const forgetFlags = new Float32Array(ctx.train.count)
  for (const i of ctx.split.forget) forgetFlags[i] = 1
  const all = trainingIndices(ctx.split)
  try {
    return await trainOnObjectives(ctx, {
      epochs: p.epochs,
      label: 'bad-teacher',
      recipe,
      learningRate: p.learningRate,
      passes: (student) => [
        {
          indices: all,
          loss: (b) => {
            const isForget = tf.reshape(tf.tensor1d(Float32Array.from(b.ids, (i) => forgetFlags[i]!)), [-1, 1])
            const teacher = tf.add<tf.Tensor2D>(
              tf.mul(incompetent.forward(b.x), isForget),
              tf.mul(ctx.original.forward(b.x), tf.sub(1, isForget))
            )
            return distillationKl(teacher, student.forward(b.x, { training: true }), recipe.temperature)
          }
        }
      ]
    })
  } finally {
    incompetent.dispose()
  }
})
