import type { MethodParams } from '../../../shared/methods'
import type { UnlearningMethod } from './context'
import { trainOnRetain } from './retain-training'

/** Continues training on the retain set only; forgetting comes from interference. */
export const finetune: UnlearningMethod = (ctx) => {
  const p = ctx.params as MethodParams<'finetune'>
  return trainOnRetain(ctx, ctx.original.clone(), { epochs: p.epochs, learningRate: p.learningRate, orderLabel: 'finetune-order' })
}
