import * as tf from '@tensorflow/tfjs'
import type { FunctionalModel } from '../model/functional-model'
import type { Metrics } from './metrics'

/** Names of the weights holding a NaN or an infinity. */
export async function nonFiniteWeights(model: FunctionalModel): Promise<string[]> {
  const bad: string[] = []
  for (const [name, w] of model.weights) {
    const finite = tf.tidy(() => tf.all(tf.isFinite(w)))
    const ok = (await finite.data())[0] === 1
    finite.dispose()
    if (!ok) bad.push(name)
  }
  return bad
}

// A model whose retain accuracy is within this margin of guessing has collapsed.
const COLLAPSE_MARGIN = 0.05

/** Whether a retain accuracy is at the level of guessing: such a model is never a method's result. */
export const isCollapsed = (retainAccuracy: number, numClasses: number): boolean => retainAccuracy <= 1 / numClasses + COLLAPSE_MARGIN

/**
 * Why a model's accuracy has collapsed, or null. Collapse is retain accuracy at or below chance
 * plus 5 points: the model no longer does its job on the data it is meant to keep.
 */
export function collapseReason(metrics: Metrics, numClasses: number): string | null {
  const retain = metrics.retainAccuracy
  if (typeof retain !== 'number') return null
  if (!isCollapsed(retain, numClasses)) return null
  const chance = 1 / numClasses
  return `Accuracy collapsed: retain accuracy ${retain.toFixed(3)} is at the level of guessing (${chance.toFixed(3)} for ${numClasses} classes)`
}
