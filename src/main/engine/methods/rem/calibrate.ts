import * as tf from '@tensorflow/tfjs'
import type { FunctionalModel } from '@main/engine/model/functional-model'
import { FunctionalModel as Model } from '@main/engine/model/functional-model'
import type { Widened } from '@main/engine/model/widen'
import { gatherBatch, type TensorSplit } from '@main/engine/train/tensor-data'
import { createRng, shuffled } from '@main/engine/util/random'
import { buildMasks } from './masks'

/** Samples whose batch moments become the new channels' moving statistics. */
const CALIBRATION_SAMPLES = 1024

/**
 * Sets the new channels' batch-norm moving statistics to the moments of their real outputs, the
 * original channels' left as they were. In the official code the dedicated channels exist, masked,
 * through pretraining, and their BN (which sits before the mask) tracks what they compute from the
 * original channels: drop mode here. One training-mode pass with momentum 0 on a large batch
 * stores exactly that batch's moments.
 */
export function calibrateNewChannelStatistics(
  widened: Widened,
  original: FunctionalModel,
  train: TensorSplit,
  indices: Int32Array,
  seed: number
): void {
  const model = widened.model
  const bnNodes = model.graph.nodes.filter((n) => n.kind === 'batchnorm')
  if (bnNodes.length === 0) return
  const sample = Int32Array.from(shuffled(indices, createRng(seed)).slice(0, CALIBRATION_SAMPLES))
  // A view that shares the widened model's variables, with every moving average replaced at once.
  const view = new Model(
    { ...model.graph, nodes: model.graph.nodes.map((n) => (n.kind === 'batchnorm' ? { ...n, momentum: 0 } : n)) },
    model.weights
  )
  tf.tidy(() => {
    const { x } = gatherBatch(train, sample)
    view.forward(x, { training: true, masks: buildMasks(widened.maskPoints, sample, 'drop', { p: 0, seed }) })
  })
  for (const node of bnNodes)
    for (const leaf of ['moving_mean', 'moving_variance']) {
      const name = `${node.name}/${leaf}`
      const kept = original.weights.get(name)!
      const current = model.weights.get(name)!
      const c = kept.shape[0]!
      tf.tidy(() => current.assign(tf.concat([kept, tf.slice(current, [c], [current.shape[0]! - c])])))
    }
}
