import type * as tf from '@tensorflow/tfjs'
import type { FunctionalModel } from '../model/functional-model'
import { hashSeed } from '../util/random'
import type { CancelToken } from '../util/cancel'
import type { Augment } from './augment'
import { trainLoop, type TrainProgress, type TrainResult } from './core'
import { meanCrossEntropy } from './loss'
import type { TensorSplit } from './tensor-data'

export type { TrainProgress, TrainResult } from './core'

export interface TrainOptions {
  indices: Int32Array
  epochs: number
  batchSize: number
  optimizer: 'sgd' | 'adam'
  learningRate: number
  momentum?: number
  weightDecay?: number
  schedule?: 'constant' | 'cosine'
  seed: number
  /** Only these variables are updated; default: every trainable weight. */
  variables?: tf.Variable[]
  /** 0/1 masks multiplied into the gradients (DEL, SalUn): with momentum SGD and no weight decay, a 0 freezes the element. */
  gradientMasks?: Map<tf.Variable, tf.Tensor>
  /** The cosine schedule ends at this fraction of the learning rate (default 0). */
  scheduleFloor?: number
  /** Steps already taken by the method before this loop, so a divergence names the method's step. */
  stepOffset?: number
  /** Crop and flip the batches (the task's `train.augment`). */
  augment?: Augment
  /** Mix class codes into the batches (Mnemonic-code training): codes [classes, ...input], probability tMix. */
  mnemonic?: { codes: tf.Tensor; tMix: number }
  onProgress?: (p: TrainProgress) => void
  cancel?: CancelToken
}

/**
 * Minibatch cross-entropy training with a seeded shuffle per epoch and a per-step schedule: the
 * shared loop with the classifier's own loss (dropout seeded per step).
 */
export async function trainClassifier(model: FunctionalModel, data: TensorSplit, opt: TrainOptions): Promise<TrainResult> {
  return trainLoop({
    data,
    vars: opt.variables ?? model.trainableVariables(),
    optimizer: { kind: opt.optimizer, momentum: opt.momentum ?? 0.9, weightDecay: opt.weightDecay ?? 0 },
    epochs: opt.epochs,
    batchSize: opt.batchSize,
    passes: (epoch) => [
      {
        indices: opt.indices,
        orderSeed: hashSeed(opt.seed, `epoch-${epoch}`),
        loss: (b, at) => meanCrossEntropy(model.forward(b.x, { training: true, dropoutSeed: hashSeed(opt.seed, `step-${at.step}`) }), b.y)
      }
    ],
    rate: { base: opt.learningRate, schedule: opt.schedule ?? 'constant', floor: opt.scheduleFloor ?? 0 },
    gradientMasks: opt.gradientMasks,
    augment: opt.augment,
    mnemonic: opt.mnemonic && { ...opt.mnemonic, seed: opt.seed },
    what: 'Training',
    stepOffset: opt.stepOffset,
    cancel: opt.cancel,
    onStep: opt.onProgress
  })
}
