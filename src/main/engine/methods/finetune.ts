import { defineMethod } from './define'
import { trainOnRetain } from './retain-training'

/** Continues training on the retain set only; forgetting comes from interference. */
export const finetune = defineMethod('finetune', (ctx) =>
  trainOnRetain(ctx, ctx.original.clone(), {
    epochs: ctx.params.epochs,
    learningRate: ctx.params.learningRate,
    orderLabel: 'finetune-order'
  })
)
