import type { FunctionalModel } from '../model/functional-model'
import { trainClassifier, type TrainOptions } from '../train/loop'
import { hashSeed } from '../util/random'
import type { MethodContext, MethodOutcome } from './context'

/** Trains `model` (owned by the caller until this returns) on the retain set with the task's recipe. */
export function lossText(loss: number): string {
  return Number.isFinite(loss) ? `, loss ${loss.toFixed(3)}` : ''
}

export async function trainOnRetain(
  ctx: MethodContext,
  model: FunctionalModel,
  settings: { epochs: number; learningRate: number; orderLabel: string; overrides?: Partial<TrainOptions> }
): Promise<MethodOutcome> {
  try {
    const result = await trainClassifier(model, ctx.train, {
      ...ctx.spec.train,
      ...settings.overrides,
      indices: ctx.split.retain,
      epochs: settings.epochs,
      learningRate: settings.learningRate,
      seed: hashSeed(ctx.seed, settings.orderLabel),
      cancel: ctx.cancel,
      onProgress: (s) => ctx.progress(s.step / s.totalSteps, `epoch ${s.epoch + 1}/${settings.epochs}${lossText(s.loss)}`)
    })
    return { model, steps: result.steps }
  } catch (err) {
    model.dispose()
    throw err
  }
}
