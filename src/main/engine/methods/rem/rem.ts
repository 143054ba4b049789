import { trainingIndices } from '@main/engine/data/splits'
import * as tf from '@tensorflow/tfjs'
import { METHOD_CATALOG, type MethodParams, scaledFromTrain } from '@shared/methods'
import { accuracy } from '@main/engine/eval/accuracy'
import { isCollapsed } from '@main/engine/eval/health'
import type { FunctionalModel } from '@main/engine/model/functional-model'
import { narrowModel, widenModel } from '@main/engine/model/widen'
import { type Batch, optimizerOf } from '@main/engine/train/core'
import { runCustomEpoch } from '@main/engine/train/custom-epoch'
import { perSampleCrossEntropy } from '@main/engine/train/loss'
import { createOptimizer } from '@main/engine/train/optimizers'
import { gatherBatch } from '@main/engine/train/tensor-data'
import { hashSeed } from '@main/engine/util/random'
import type { MethodInputs } from '../context'
import { defineMethod } from '../define'
import { npoLoss, redirectLoss } from '../npo-loss'
import { calibrateNewChannelStatistics } from './calibrate'
import { buildMasks, type MaskMode, REFERENCE_SHARED_MASK_ID } from './masks'
import { removalThreshold } from '../removal-threshold'

/**
 * REM, Redirection for Erasing Memory. The model is widened with dedicated channels; rounds of
 * Flush (NPO on the known-corrupted set D_f through the original channels) and Repair (one epoch
 * over the training set that redirects every sample, D_f through one shared subset of the new
 * channels, while pushing D_f out of the original ones) are kept by a label-free proxy; the new
 * channels are dropped at the end, so the result has the original architecture.
 */
export const rem = defineMethod('rem', async (ctx) => {
  const p = ctx.params
  const recipe = METHOD_CATALOG.rem.recipe
  const threshold = await removalThreshold(p.removalThreshold, ctx)
  const widened = widenModel(
    ctx.original,
    p.capacity,
    hashSeed(ctx.seed, 'rem-widen'),
    p.newChannels === 'pytorch' ? 'fan-in-uniform' : 'glorot'
  )
  if (p.newChannels === 'pytorch')
    calibrateNewChannelStatistics(widened, ctx.original, ctx.train, trainingIndices(ctx.split), hashSeed(ctx.seed, 'rem-calibrate'))
  const student = widened.model
  const reference = student.clone()
  const forget = ctx.split.forget
  const inForget = new Set(forget)
  const maskOptions = { p: p.pMem, seed: hashSeed(ctx.seed, 'rem-masks'), usesShared: (id: number) => inForget.has(id) }
  const referenceMasks = p.referenceMask === 'own' ? { ...maskOptions, sharedId: REFERENCE_SHARED_MASK_ID } : maskOptions
  const flushTraining = p.flushBatchNorm === 'train'
  // A spec always resolves it (a fifth of the training rate); a direct call may leave it out.
  const learningRate = p.learningRate ?? scaledFromTrain('rem').learningRate! * ctx.spec.train.learningRate
  const optimizer = createOptimizer(optimizerOf({ ...recipe, momentum: p.momentum, weightDecay: p.weightDecay }))
  const vars = student.trainableVariables()
  const batchSize = ctx.spec.train.batchSize

  /** Per-sample CE of the student in a mode; BN in training mode uses batch statistics and updates the moving ones. */
  const ce = (batch: Batch, mode: MaskMode, training: boolean) =>
    perSampleCrossEntropy(
      student.forward(batch.x, { training, masks: buildMasks(widened.maskPoints, batch.ids, mode, maskOptions) }),
      batch.y
    )
  /** The frozen reference's CE in mask mode, BN at its moving statistics. */
  const referenceCe = (batch: Batch) =>
    perSampleCrossEntropy(reference.forward(batch.x, { masks: buildMasks(widened.maskPoints, batch.ids, 'mask', referenceMasks) }), batch.y)

  const log = { dropForget: [] as number[], maskForget: [] as number[], proxy: [] as number[], flushEpochs: [] as number[] }
  let steps = 0
  let best: { model: FunctionalModel; proxy: number; round: number } | null = null

  const evaluate = async (round: number) => {
    const narrowed = narrowModel(widened)
    const dropForget = await accuracy(narrowed, ctx.train, forget)
    const keeping = await accuracy(narrowed, ctx.train, ctx.split.retain)
    // A round that collapsed the model to guessing is never kept, however low its D_f accuracy.
    const proxy = isCollapsed(keeping, ctx.original.graph.numClasses) ? -1 : keeping * (1 - Math.max(dropForget, threshold))
    log.dropForget.push(dropForget)
    log.maskForget.push(await maskedAccuracy(ctx, widened.maskPoints, forget, student, maskOptions, recipe.evalBatchSize))
    log.proxy.push(proxy)
    if (!best || proxy > best.proxy) {
      best?.model.dispose()
      best = { model: narrowed, proxy, round }
    } else narrowed.dispose()
    return dropForget
  }

  try {
    let dropForget = await evaluate(0)
    for (let round = 1; round <= p.rounds; round++) {
      // Flush: push D_f out of the original channels until it is at most γ accurate there.
      let epochs = 0
      while (dropForget > threshold && epochs < p.maxFlushEpochs) {
        const flush = await runCustomEpoch({
          data: ctx.train,
          indices: forget,
          batchSize,
          seed: hashSeed(ctx.seed, `rem-flush-${round}-${epochs}`),
          vars,
          optimizer,
          learningRate,
          augment: ctx.spec.train.augment,
          stepOffset: steps,
          cancel: ctx.cancel,
          // Official: batch statistics from D_f-only batches; `hold` keeps them from skewing the moving averages.
          loss: (b) =>
            p.flush === 'gradient-ascent'
              ? tf.neg(tf.mean(ce(b, 'drop', flushTraining)))
              : tf.mean(npoLoss(ce(b, 'drop', flushTraining), referenceCe(b), p.beta))
        })
        steps += flush.steps
        epochs++
        const narrowed = narrowModel(widened)
        dropForget = await accuracy(narrowed, ctx.train, forget)
        narrowed.dispose()
      }
      log.flushEpochs.push(epochs)
      // Repair: redirect every sample into its channels; keep removing D_f from the original ones.
      const all = trainingIndices(ctx.split)
      const repair = await runCustomEpoch({
        data: ctx.train,
        indices: all,
        batchSize,
        seed: hashSeed(ctx.seed, `rem-repair-${round}`),
        vars,
        optimizer,
        learningRate,
        augment: ctx.spec.train.augment,
        stepOffset: steps,
        cancel: ctx.cancel,
        loss: (b) =>
          repairLoss(
            b,
            p,
            inForget,
            (mode, training) => ce(b, mode, training),
            () => referenceCe(b)
          )
      })
      steps += repair.steps
      dropForget = await evaluate(round)
      ctx.progress(
        round / p.rounds,
        `round ${round}/${p.rounds}: D_f accuracy ${dropForget.toFixed(2)} (original channels), ${log.maskForget.at(-1)!.toFixed(2)} (redirected)`
      )
    }
    let chosen = best as { model: FunctionalModel; proxy: number; round: number } | null
    if (!chosen) throw new Error('REM produced no checkpoint')
    best = null
    // The official code's best model is an alias of the working one: with no round better than the original, the last round is returned.
    const noRoundImproved = chosen.round === 0
    if (noRoundImproved && p.fallback === 'last-round') {
      chosen.model.dispose()
      chosen = { model: narrowModel(widened), proxy: log.proxy.at(-1)!, round: p.rounds }
    }
    return {
      model: chosen.model,
      steps,
      extraMetrics: {
        remForgetAccuracyDrop: log.dropForget,
        remForgetAccuracyMask: log.maskForget,
        remProxy: log.proxy,
        remFlushEpochs: log.flushEpochs,
        remBestRound: chosen.round,
        remFallback: noRoundImproved ? 1 : 0,
        removalThreshold: threshold
      }
    }
  } finally {
    ;(best as { model: FunctionalModel } | null)?.model.dispose()
    optimizer.dispose()
    student.dispose()
    reference.dispose()
  }
})

/** The Repair objective of one batch, with the ablations the parameters select. */
function repairLoss(
  b: Batch,
  p: MethodParams<'rem'>,
  inForget: Set<number>,
  studentCe: (mode: MaskMode, training: boolean) => tf.Tensor1D,
  referenceCe: () => tf.Tensor1D
): tf.Scalar {
  const isForget = tf.tensor1d(Array.from(b.ids, (id) => (inForget.has(id) ? 1 : 0)))
  // The reference's variables are not among those differentiated, so its CE is a constant here.
  const ref = referenceCe()
  const drop = studentCe('drop', true)
  // Without redirection the retain term runs through the original channels and skips D_f.
  const channel = p.redirection
    ? redirectLoss(studentCe('mask', true), ref, p.beta)
    : tf.mul(redirectLoss(drop, ref, p.beta), tf.sub(1, isForget))
  const removal = p.continuedRemoval ? tf.mul(npoLoss(drop, ref, p.beta), isForget) : tf.zerosLike(drop)
  return tf.mean(tf.add(channel, removal)) as tf.Scalar
}

/** Accuracy on `indices` with the new channels on (D_f through the shared mask): where the redirected memory lives. */
async function maskedAccuracy(
  ctx: MethodInputs,
  points: ReturnType<typeof widenModel>['maskPoints'],
  indices: Int32Array,
  model: FunctionalModel,
  maskOptions: Parameters<typeof buildMasks>[3],
  batchSize: number
): Promise<number> {
  let correct = 0
  for (let start = 0; start < indices.length; start += batchSize) {
    const ids = indices.subarray(start, start + batchSize)
    const hits = tf.tidy(() => {
      const { x, y } = gatherBatch(ctx.train, ids)
      const logits = model.forward(x, { masks: buildMasks(points, ids, 'mask', maskOptions) })
      return tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), tf.cast(y, 'int32')), 'int32'))
    })
    correct += (await hits.data())[0]!
    hits.dispose()
  }
  return indices.length ? correct / indices.length : Number.NaN
}
