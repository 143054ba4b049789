import * as tf from '@tensorflow/tfjs'
import type { MethodParams } from '../../../shared/methods'
import { FunctionalModel } from '../model/functional-model'
import { distillationKl } from '../train/loss'
import { hashSeed } from '../util/random'
import type { UnlearningMethod } from './context'
import { trainCustomEpochs } from './custom-epochs'

/**
 * Bad Teacher: the student (a copy of the original) is distilled over the whole training set,
 * toward a randomly initialised teacher on forget samples and toward the original on all others
 * (undiscovered corrupted samples included): KL(teacher ‖ student) at temperature 1, with Adam.
 */
export const badTeacher: UnlearningMethod = async (ctx) => {
  const p = ctx.params as MethodParams<'bad-teacher'>
  const incompetent = FunctionalModel.initialize(ctx.original.graph, hashSeed(ctx.seed, 'bad-teacher'))
  const forgetFlags = new Float32Array(ctx.train.count)
  for (const i of ctx.split.forget) forgetFlags[i] = 1
  const all = Int32Array.from({ length: ctx.train.count }, (_, i) => i)
  try {
    return await trainCustomEpochs(ctx, {
      epochs: p.epochs,
      label: 'bad-teacher',
      optimizer: { kind: 'adam' },
      passes: (student) => [
        {
          indices: all,
          learningRate: p.learningRate,
          loss: (b) => {
            const isForget = tf.reshape(tf.tensor1d(Float32Array.from(b.ids, (i) => forgetFlags[i]!)), [-1, 1])
            const teacher = tf.add(tf.mul(incompetent.forward(b.x), isForget), tf.mul(ctx.original.forward(b.x), tf.sub(1, isForget))) as tf.Tensor2D
            return distillationKl(teacher, student.forward(b.x, { training: true }))
          }
        }
      ]
    })
  } finally {
    incompetent.dispose()
  }
}
