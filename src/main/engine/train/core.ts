import * as tf from '@tensorflow/tfjs'
import { type CancelToken, throwIfCancelled, yieldToEventLoop } from '../util/cancel'
import { createRng, hashSeed, shuffled } from '../util/random'
import { type Augment, augmentBatch, augments, drawAugmentation } from './augment'
import { mixCodes } from './mnemonic-codes'
import { createOptimizer, type Optimizer, type OptimizerConfig, scheduledRate } from './optimizers'
import { StepWatch } from './step-watch'
import { gatherBatch, type TensorSplit } from './tensor-data'
import type { TrainingRecipe } from '@shared/methods'

export interface Batch {
  x: tf.Tensor
  y: tf.Tensor1D
  /** Training-set indices of the samples: their ids for per-sample masks and set membership. */
  ids: Int32Array
}

/** Where a batch falls in the run: `step` counts this run's optimiser steps from 0. */
export interface StepInfo {
  step: number
  epoch: number
  /** Index of the pass within its epoch. */
  pass: number
}

/** The scalar a step minimises, built from one batch (inside the step's gradient tape). */
export type BatchLoss = (batch: Batch, at: StepInfo) => tf.Scalar

/** One sweep over a set of training indices, in the order `shuffled(indices, createRng(orderSeed))`, with its own objective. */
export interface Pass {
  indices: Int32Array
  orderSeed: number
  loss: BatchLoss
}

/**
 * The learning rate at each step: `base`, constant or cosine-decayed to `floor`·base. The decay is
 * per step over the whole run, or (`per: 'epoch'`) held within each epoch and decayed over epochs.
 */
export interface RateSchedule {
  base: number
  schedule?: 'constant' | 'cosine'
  floor?: number
  per?: 'step' | 'epoch'
}

export interface TrainProgress {
  step: number
  totalSteps: number
  epoch: number
  /** Mean loss of the most recent read-back window; NaN until the first read. */
  loss: number
}

export interface TrainResult {
  steps: number
  /** Mean loss of the last read-back window. */
  finalLoss: number
  /** Mean loss over every step. */
  meanLoss: number
}

export interface TrainLoopOptions {
  data: TensorSplit
  /** The variables updated; every pass's loss is differentiated with respect to them. */
  vars: tf.Variable[]
  /** A recipe is built, used and disposed here; an optimiser passed in stays the caller's (its state carries over). */
  optimizer: OptimizerConfig | Optimizer
  epochs: number
  batchSize: number
  /** The passes of each epoch, in order (plain training: one over the training indices). Asked once per epoch, up front. */
  passes: (epoch: number) => Pass[]
  rate: RateSchedule
  /** 0/1 masks multiplied into the gradients (DEL, SalUn): with momentum SGD and no weight decay, a 0 freezes the element. */
  gradientMasks?: Map<tf.Variable, tf.Tensor>
  /**
   * Crop and flip every batch (the task's `train.augment`), drawn from each pass's order seed so a
   * run repeats exactly; before any code mixing, which must keep the codes where they are.
   */
  augment?: Augment
  /** Mix class codes into the batches (Mnemonic-code training): codes [classes, ...input], probability tMix, draws seeded by `seed` and the step. */
  mnemonic?: { codes: tf.Tensor; tMix: number; seed: number }
  /** What a divergence names, e.g. `Training`. */
  what: string
  /** Steps already taken by the method before this loop, so a divergence names the method's step. */
  stepOffset?: number
  cancel?: CancelToken
  onStep?: (p: TrainProgress) => void
  /** After each epoch, with the number of passes it ran. */
  onEpoch?: (epoch: number, passes: number) => void
}

function isOptimizer(o: OptimizerConfig | Optimizer): o is Optimizer {
  return 'step' in o
}

/** Optimiser steps a pass over `count` samples takes. */
export const stepsFor = (count: number, batchSize: number): number => Math.ceil(count / batchSize)

/**
 * The one training loop every method and the original's training run on: epochs of passes over
 * seeded orders of training indices, one optimiser step per batch minimising the pass's loss,
 * with a scheduled rate, optional augmentation, gradient masks and code mixing, every step watched for
 * divergence, progress and cancellation between steps.
 */
export async function trainLoop(o: TrainLoopOptions): Promise<TrainResult> {
  const plan = Array.from({ length: o.epochs }, (_, epoch) => o.passes(epoch))
  const totalSteps = plan.reduce((n, passes) => n + passes.reduce((m, p) => m + stepsFor(p.indices.length, o.batchSize), 0), 0)
  const optimizer = isOptimizer(o.optimizer) ? o.optimizer : createOptimizer(o.optimizer)
  const owned = optimizer === o.optimizer ? null : optimizer
  const watch = new StepWatch(o.what)
  const offset = o.stepOffset ?? 0
  const rateAt = (step: number, epoch: number) =>
    o.rate.per === 'epoch'
      ? scheduledRate(o.rate.base, o.rate.schedule ?? 'constant', epoch, o.epochs, o.rate.floor ?? 0)
      : scheduledRate(o.rate.base, o.rate.schedule ?? 'constant', step, totalSteps, o.rate.floor ?? 0)
  let step = 0
  let lastLoss = Number.NaN
  let lossSum = 0
  let lossCount = 0
  try {
    for (const [epoch, passes] of plan.entries()) {
      for (const [pass, p] of passes.entries()) {
        const order = shuffled(p.indices, createRng(p.orderSeed))
        const augmentRng = createRng(hashSeed(p.orderSeed, 'augment'))
        for (let start = 0; start < order.length; start += o.batchSize) {
          throwIfCancelled(o.cancel)
          const lr = rateAt(step, epoch)
          const ids = Int32Array.from(order.slice(start, start + o.batchSize))
          const batch: Batch = { ...gatherBatch(o.data, ids), ids }
          if (augments(o.augment)) {
            const augmented = augmentBatch(batch.x, drawAugmentation(ids.length, o.augment, augmentRng))
            batch.x.dispose()
            batch.x = augmented
          }
          if (o.mnemonic) {
            const mixed = mixCodes(batch.x, batch.y, o.mnemonic.codes, o.mnemonic.tMix, o.mnemonic.seed, step)
            batch.x.dispose()
            batch.x = mixed
          }
          const at: StepInfo = { step, epoch, pass }
          const value = tf.tidy(() => {
            const { value: v, grads } = tf.variableGrads(() => p.loss(batch, at), o.vars)
            const masked = o.vars.map((w) => {
              const g = grads[w.name] ?? tf.zerosLike(w)
              const mask = o.gradientMasks?.get(w)
              return mask ? tf.mul(g, mask) : g
            })
            optimizer.step(o.vars, masked, lr)
            return v
          })
          tf.dispose([batch.x, batch.y])
          step++
          watch.record(offset + step, value, o.vars)
          if (watch.due || step === totalSteps) {
            const values = await watch.flush()
            if (values.length > 0) lastLoss = values.reduce((a, v) => a + v, 0) / values.length
            lossSum += values.reduce((a, v) => a + v, 0)
            lossCount += values.length
          }
          o.onStep?.({ step, totalSteps, epoch, loss: lastLoss })
          await yieldToEventLoop()
        }
      }
      o.onEpoch?.(epoch, passes.length)
    }
    return { steps: step, finalLoss: lastLoss, meanLoss: lossSum / Math.max(lossCount, 1) }
  } finally {
    watch.dispose()
    owned?.dispose()
  }
}

/** The optimiser a recipe names. */
export const optimizerOf = (r: TrainingRecipe): OptimizerConfig => ({ kind: r.optimizer, momentum: r.momentum, weightDecay: r.weightDecay })

/** A recipe's schedule at base rate `base`. */
export const rateOf = (base: number, r: TrainingRecipe): RateSchedule => ({
  base,
  schedule: r.schedule,
  floor: r.scheduleFloor,
  per: r.schedulePer
})
