import * as tf from '@tensorflow/tfjs'
import type { MethodParams } from '../../../shared/methods'
import { FunctionalModel } from '../model/functional-model'
import { runCustomEpoch } from '../train/custom-epoch'
import { distillationKl } from '../train/loss'
import { createOptimizer } from '../train/optimizers'
import { hashSeed } from '../util/random'
import type { UnlearningMethod } from './context'

/**
 * Bad Teacher: the student (a copy of the original) is distilled over the whole training set,
 * toward a randomly initialised teacher on forget samples and toward the original on all others
 * (undiscovered corrupted samples included): KL(teacher ‖ student) at temperature 1, with Adam.
 */
export const badTeacher: UnlearningMethod = async (ctx) => {
  const p = ctx.params as MethodParams<'bad-teacher'>
  const student = ctx.original.clone()
  const incompetent = FunctionalModel.initialize(ctx.original.graph, hashSeed(ctx.seed, 'bad-teacher'))
  const forgetFlags = new Float32Array(ctx.train.count)
  for (const i of ctx.split.forget) forgetFlags[i] = 1
  const vars = student.trainableVariables()
  const optimizer = createOptimizer({ kind: 'adam' })
  const all = Int32Array.from({ length: ctx.train.count }, (_, i) => i)
  let steps = 0
  try {
    for (let epoch = 0; epoch < p.epochs; epoch++) {
      const run = await runCustomEpoch({
        data: ctx.train,
        indices: all,
        batchSize: ctx.spec.train.batchSize,
        seed: hashSeed(ctx.seed, `bad-teacher-${epoch}`),
        vars,
        optimizer,
        learningRate: p.learningRate,
        cancel: ctx.cancel,
        loss: (b) => {
          const isForget = tf.reshape(tf.tensor1d(Float32Array.from(b.ids, (i) => forgetFlags[i]!)), [-1, 1])
          const teacher = tf.add(tf.mul(incompetent.forward(b.x), isForget), tf.mul(ctx.original.forward(b.x), tf.sub(1, isForget))) as tf.Tensor2D
          return distillationKl(teacher, student.forward(b.x, { training: true }))
        }
      })
      steps += run.steps
      ctx.progress((epoch + 1) / p.epochs, `epoch ${epoch + 1}/${p.epochs}`)
    }
    return { model: student, steps }
  } catch (err) {
    student.dispose()
    throw err
  } finally {
    optimizer.dispose()
    incompetent.dispose()
  }
}
