import * as tf from '@tensorflow/tfjs'
import { ownedVariable } from '../util/tensors'
import type { FunctionalModel } from '../model/functional-model'
import { meanCrossEntropy } from '../train/loss'
import { gatherBatch, type TensorSplit } from '../train/tensor-data'
import { yieldToEventLoop } from '../util/cancel'

/** Per trainable weight (in model order), one importance value per element. */
export type Importances = Float32Array[]

export interface ImportanceRecipe {
  /** The scalar whose gradient is taken per batch, with the model in eval mode. */
  objective: (logits: tf.Tensor2D, labels: tf.Tensor1D) => tf.Scalar
  /** How each batch's gradient becomes a non-negative contribution. */
  reduce: (grad: tf.Tensor) => tf.Tensor
}

/** SSD's importance: the squared gradient of the cross-entropy (labels needed). */
export const SQUARED_LOSS_GRADIENT: ImportanceRecipe = {
  objective: (logits, labels) => meanCrossEntropy(logits, labels),
  reduce: (g) => tf.square(g)
}

/** Potion's label-free importance: |∂‖f(x)‖₂/∂θ|. */
export const ABS_OUTPUT_NORM_GRADIENT: ImportanceRecipe = {
  objective: (logits) => tf.mean(tf.norm(logits, 'euclidean', 1)) as tf.Scalar,
  reduce: (g) => tf.abs(g)
}

/** The mean over batches of `reduce(∇θ objective(batch))`, for every trainable weight. */
export async function parameterImportance(
  model: FunctionalModel,
  data: TensorSplit,
  indices: Int32Array,
  batchSize: number,
  recipe: ImportanceRecipe
): Promise<Importances> {
  const vars = model.trainableVariables()
  const sums = vars.map((v) => ownedVariable(() => tf.zerosLike(v), false))
  let batches = 0
  try {
    for (let start = 0; start < indices.length; start += batchSize) {
      const { x, y } = gatherBatch(data, indices.subarray(start, start + batchSize))
      tf.tidy(() => {
        const { grads } = tf.variableGrads(() => recipe.objective(model.forward(x), y), vars)
        vars.forEach((v, i) => sums[i]!.assign(tf.add(sums[i]!, recipe.reduce(grads[v.name]!))))
      })
      tf.dispose([x, y])
      batches++
      await yieldToEventLoop()
    }
    return Promise.all(sums.map(async (s) => Float32Array.from(await s.data(), (v) => v / Math.max(batches, 1))))
  } finally {
    sums.forEach((s) => s.dispose())
  }
}

/**
 * Selective dampening shared by SSD and Potion: where forget importance exceeds `alpha` × the
 * reference importance, the parameter is multiplied by min(1, λ·imp_ref/imp_f); elsewhere by 1.
 */
export function dampeningFactors(forget: Float32Array, reference: Float32Array, alpha: number, lambda: number): Float32Array {
  return Float32Array.from(forget, (f, j) => {
    const r = reference[j]!
    // f > α·r ≥ 0 here, so the division is safe.
    return f > alpha * r ? Math.min(1, (lambda * r) / f) : 1
  })
}

/** Multiplies every trainable weight by its factors; returns the fraction of elements changed. */
export function applyDampening(model: FunctionalModel, factors: Float32Array[]): number {
  let changed = 0
  let total = 0
  model.trainableVariables().forEach((v, i) => {
    const f = factors[i]!
    for (const value of f) if (value !== 1) changed++
    total += f.length
    tf.tidy(() => v.assign(tf.mul(v, tf.tensor(f, v.shape))))
  })
  return total === 0 ? 0 : changed / total
}
