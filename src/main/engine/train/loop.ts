import * as tf from '@tensorflow/tfjs'
import type { FunctionalModel } from '../model/functional-model'
import { createRng, hashSeed, shuffled } from '../util/random'
import { type CancelToken, throwIfCancelled, yieldToEventLoop } from '../util/cancel'
import { meanCrossEntropy } from './loss'
import { createOptimizer, scheduledRate } from './optimizers'
import { gatherBatch, type TensorSplit } from './tensor-data'
import { mixCodes } from './mnemonic-codes'
import { StepWatch } from './step-watch'

export interface TrainProgress {
  step: number
  totalSteps: number
  epoch: number
  /** Mean loss of the most recent read-back window; NaN until the first read. */
  loss: number
}

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
  /** Mix class codes into the batches (Mnemonic-code training): codes [classes, ...input], probability tMix. */
  mnemonic?: { codes: tf.Tensor; tMix: number }
  onProgress?: (p: TrainProgress) => void
  cancel?: CancelToken
}

export interface TrainResult {
  steps: number
  finalLoss: number
}

/** Minibatch training with a seeded shuffle per epoch. */
export async function trainClassifier(model: FunctionalModel, data: TensorSplit, opt: TrainOptions): Promise<TrainResult> {
  const vars = opt.variables ?? model.trainableVariables()
  const optimizer = createOptimizer({ kind: opt.optimizer, momentum: opt.momentum ?? 0.9, weightDecay: opt.weightDecay ?? 0 })
  const stepsPerEpoch = Math.ceil(opt.indices.length / opt.batchSize)
  const totalSteps = stepsPerEpoch * opt.epochs
  let step = 0
  let lastLoss = Number.NaN
  const watch = new StepWatch('Training')
  const offset = opt.stepOffset ?? 0
  try {
    for (let epoch = 0; epoch < opt.epochs; epoch++) {
      const order = shuffled(opt.indices, createRng(hashSeed(opt.seed, `epoch-${epoch}`)))
      for (let start = 0; start < order.length; start += opt.batchSize) {
        throwIfCancelled(opt.cancel)
        const lr = scheduledRate(opt.learningRate, opt.schedule ?? 'constant', step, totalSteps, opt.scheduleFloor ?? 0)
        const batch = gatherBatch(data, order.slice(start, start + opt.batchSize))
        if (opt.mnemonic) {
          const mixed = mixCodes(batch.x, batch.y, opt.mnemonic.codes, opt.mnemonic.tMix, opt.seed, step)
          batch.x.dispose()
          batch.x = mixed
        }
        const loss = tf.tidy(() => {
          const { value, grads } = tf.variableGrads(
            () => meanCrossEntropy(model.forward(batch.x, { training: true, dropoutSeed: hashSeed(opt.seed, `step-${step}`) }), batch.y),
            vars
          )
          const masked = vars.map((v) => {
            const mask = opt.gradientMasks?.get(v)
            return mask ? tf.mul(grads[v.name]!, mask) : grads[v.name]!
          })
          optimizer.step(vars, masked, lr)
          return value
        })
        tf.dispose([batch.x, batch.y])
        step++
        watch.record(offset + step, loss, vars)
        if (watch.due || step === totalSteps) {
          const values = await watch.flush()
          lastLoss = values.reduce((a, v) => a + v, 0) / values.length
        }
        opt.onProgress?.({ step, totalSteps, epoch, loss: lastLoss })
        await yieldToEventLoop()
      }
    }
  } finally {
    watch.dispose()
    optimizer.dispose()
  }
  return { steps: step, finalLoss: lastLoss }
}
