import { FunctionalModel } from '../model/functional-model'
import { hashSeed } from '../util/random'
import { defineMethod } from './define'
import { trainOnRetain } from './retain-training'

/** A fresh model trained on the retain set with the original recipe: the reference every method is read against. */
export const retrain = defineMethod('retrain', (ctx) => {
  const p = ctx.params
  const model = FunctionalModel.initialize(ctx.original.graph, hashSeed(ctx.seed, 'retrain'))
  return trainOnRetain(ctx, model, {
    // parseTaskSpec fills these from the task's training settings when they are left out.
    epochs: p.epochs ?? ctx.spec.train.epochs,
    learningRate: p.learningRate ?? ctx.spec.train.learningRate,
    orderLabel: 'retrain-order'
  })
})
