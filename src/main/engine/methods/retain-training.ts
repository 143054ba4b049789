import type { TrainingRecipe } from '@shared/methods'
import type { FunctionalModel } from '../model/functional-model'
import { trainClassifier, type TrainOptions } from '../train/loop'
import { hashSeed } from '../util/random'
import type { MethodInputs, MethodOutcome } from './context'

export function lossText(loss: number): string {
  return Number.isFinite(loss) ? `, loss ${loss.toFixed(3)}` : ''
}

/**
 * Trains `model` (owned by the caller until this returns) on the retain set with cross-entropy:
 * the task's training recipe, or a method's own `recipe` from the catalog in its place.
 */
export async function trainOnRetain(
  ctx: MethodInputs,
  model: FunctionalModel,
  settings: { epochs: number; learningRate: number; orderLabel: string; recipe?: TrainingRecipe; overrides?: Partial<TrainOptions> }
): Promise<MethodOutcome> {
  const r = settings.recipe
  try {
    const result = await trainClassifier(model, ctx.train, {
      ...ctx.spec.train,
      ...(r
        ? { optimizer: r.optimizer, momentum: r.momentum, weightDecay: r.weightDecay, schedule: r.schedule, scheduleFloor: r.scheduleFloor }
        : {}),
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
