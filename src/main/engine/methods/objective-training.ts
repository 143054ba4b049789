import type * as tf from '@tensorflow/tfjs'
import type { TrainingRecipe } from '@shared/methods'
import type { FunctionalModel } from '../model/functional-model'
import { type BatchLoss, optimizerOf, rateOf, trainLoop } from '../train/core'
import { customOrderSeed } from '../train/custom-epoch'
import { hashSeed } from '../util/random'
import type { MethodInputs, MethodOutcome } from './context'

/** One pass of an epoch: an objective over a set of training indices. */
export interface ObjectivePass {
  indices: Int32Array
  loss: BatchLoss
}

/**
 * Epochs of custom objectives on a copy of the original, with the method's catalog recipe
 * (optimiser and schedule) throughout: what NegGrad+, ℓ1-sparse, SCRUB and Bad Teacher supply to
 * the shared loop. Each epoch runs the passes `passes` returns for it, in order (SCRUB: a max
 * pass on the forget set, then a min pass on the retain set).
 */
export async function trainOnObjectives(
  ctx: MethodInputs,
  o: {
    epochs: number
    label: string
    recipe: TrainingRecipe
    learningRate: number
    passes: (model: FunctionalModel, vars: tf.Variable[], epoch: number) => ObjectivePass[]
  }
): Promise<MethodOutcome> {
  const model = ctx.original.clone()
  const vars = model.trainableVariables()
  try {
    const run = await trainLoop({
      data: ctx.train,
      vars,
      optimizer: optimizerOf(o.recipe),
      epochs: o.epochs,
      batchSize: o.recipe.batchSize ?? ctx.spec.train.batchSize,
      passes: (epoch) =>
        o
          .passes(model, vars, epoch)
          .map((pass, i) => ({ ...pass, orderSeed: customOrderSeed(hashSeed(ctx.seed, `${o.label}-${epoch}-${i}`)) })),
      rate: rateOf(o.learningRate, o.recipe),
      augment: ctx.spec.train.augment,
      what: 'The unlearning objective',
      cancel: ctx.cancel,
      onEpoch: (epoch, passes) =>
        ctx.progress((epoch + 1) / o.epochs, `epoch ${epoch + 1}/${o.epochs}${passes > 1 ? ` (${passes} passes)` : ''}`)
    })
    return { model, steps: run.steps }
  } catch (err) {
    model.dispose()
    throw err
  }
}
