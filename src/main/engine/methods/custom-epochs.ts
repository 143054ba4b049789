import type * as tf from '@tensorflow/tfjs'
import type { FunctionalModel } from '../model/functional-model'
import { type Batch, runCustomEpoch } from '../train/custom-epoch'
import { createOptimizer, type OptimizerConfig } from '../train/optimizers'
import { hashSeed } from '../util/random'
import type { MethodContext, MethodOutcome } from './context'

/** One pass of an epoch: an objective over a set of training indices at a learning rate. */
export interface Pass {
  indices: Int32Array
  learningRate: number
  loss: (b: Batch) => tf.Scalar
}

/**
 * Epochs of custom objectives on a copy of the original, with one optimiser throughout: the loop
 * NegGrad+, ℓ1-sparse, SCRUB and Bad Teacher share. Each epoch runs the passes `passes` returns
 * for it, in order (SCRUB: a max pass on the forget set, then a min pass on the retain set).
 */
export async function trainCustomEpochs(
  ctx: MethodContext,
  o: { epochs: number; label: string; optimizer: OptimizerConfig; passes: (model: FunctionalModel, vars: tf.Variable[], epoch: number) => Pass[] }
): Promise<MethodOutcome> {
  const model = ctx.original.clone()
  const vars = model.trainableVariables()
  const optimizer = createOptimizer(o.optimizer)
  let steps = 0
  try {
    for (let epoch = 0; epoch < o.epochs; epoch++) {
      const passes = o.passes(model, vars, epoch)
      for (const [i, pass] of passes.entries()) {
        if (pass.indices.length === 0) continue
        const run = await runCustomEpoch({
          data: ctx.train,
          indices: pass.indices,
          batchSize: ctx.spec.train.batchSize,
          seed: hashSeed(ctx.seed, `${o.label}-${epoch}-${i}`),
          vars,
          optimizer,
          learningRate: pass.learningRate,
          stepOffset: steps,
          cancel: ctx.cancel,
          loss: pass.loss
        })
        steps += run.steps
      }
      ctx.progress((epoch + 1) / o.epochs, `epoch ${epoch + 1}/${o.epochs}${passes.length > 1 ? ` (${passes.length} passes)` : ''}`)
    }
    return { model, steps }
  } catch (err) {
    model.dispose()
    throw err
  } finally {
    optimizer.dispose()
  }
}
