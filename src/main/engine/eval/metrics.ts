import * as tf from '@tensorflow/tfjs'
import type { ForgetTask } from '@shared/task-spec'
import {
  accuracyOn,
  attackSuccessRate,
  confusionCounts,
  indicesWhere,
  lossThresholdAuc,
  type MaybeNumber,
  miaEfficacy,
  perClassAccuracy
} from '@shared/metrics/definitions'
import { triggerMask } from '../data/corruption'
import type { TaskData } from '../data/task-data'
import type { FunctionalModel } from '../model/functional-model'
import type { TensorSplit } from '../train/tensor-data'
import { createRng, hashSeed, shuffled } from '../util/random'
import type { Metrics } from '@shared/metrics/value'
import { fractionOfParamsChanged, scoreSamples } from './scores'

export type { Metrics }

export interface EvaluationInput {
  task: ForgetTask
  taskData: TaskData
  /** The training split as trained on (corrupted for corrupted tasks). */
  train: TensorSplit
  test: TensorSplit
  numClasses: number
  inputShape: number[]
  seed: number
}

function pick(values: Float32Array, indices: ArrayLike<number>): Float32Array {
  return Float32Array.from(indices, (i) => values[i]!)
}

/** The test split with the poison trigger pasted on every image; the caller disposes it. */
function triggeredTest(test: TensorSplit, input: EvaluationInput, value: number): TensorSplit {
  if (input.task.kind !== 'corrupted') throw new Error('Only corrupted tasks have a trigger')
  const mask = triggerMask(input.inputShape, input.task.trigger)
  const x = tf.tidy(() => {
    const m = tf.tensor(mask, input.inputShape)
    return tf.add(tf.mul(test.x, tf.sub(1, m)), tf.mul(m, value))
  })
  return { ...test, x, y: test.y }
}

/** Every audit metric of a model on a task; `original` adds the cost metric paramsChanged. */
export async function measureModel(model: FunctionalModel, input: EvaluationInput, original?: FunctionalModel): Promise<Metrics> {
  const { taskData, task } = input
  const { forget, retain } = taskData.split
  const train = await scoreSamples(model, input.train)
  const test = await scoreSamples(model, input.test)
  const metrics: Metrics = {
    testAccuracy: accuracyOn(test.pred, input.test.labels),
    retainAccuracy: accuracyOn(train.pred, input.train.labels, retain),
    forgetAccuracy: accuracyOn(train.pred, input.train.labels, forget),
    perClassTestAccuracy: perClassAccuracy(test.pred, input.test.labels, input.numClasses),
    testConfusion: confusionCounts(test.pred, input.test.labels, input.numClasses)
  }
  // SalUn's attack: as many members (retain samples, seeded draw) as non-members (test samples).
  const members = shuffled(retain, createRng(hashSeed(input.seed, 'mia-members'))).slice(0, input.test.count)
  metrics.miaEfficacy = miaEfficacy(pick(train.confidence, members), test.confidence, pick(train.confidence, forget))
  metrics.miaAuc = lossThresholdAuc(pick(train.loss, forget), test.loss)
  if (original) metrics.paramsChanged = await fractionOfParamsChanged(model, original)
  if (task.kind === 'corrupted' && taskData.corruption) Object.assign(metrics, await corruptionMetrics(model, input, train.pred, test.pred))
  return metrics
}

async function corruptionMetrics(
  model: FunctionalModel,
  input: EvaluationInput,
  trainPred: Int32Array,
  testPred: Int32Array
): Promise<Metrics> {
  const task = input.task as Extract<ForgetTask, { kind: 'corrupted' }>
  const c = input.taskData.corruption!
  const clean = input.taskData.cleanLabels
  const testLabels = input.test.labels
  const discovered = c.indices.filter((i) => c.discovered[i] === 1)
  const undiscovered = c.indices.filter((i) => c.discovered[i] !== 1)
  // Healed = predicted with the clean label, on the corrupted samples as trained (trigger on for poison).
  const out: Metrics = {
    // Per corrupted sample (in D_c's ascending order), the class the model now gives it: the drill-down's data.
    corruptedPredictions: Array.from(c.indices, (i) => trainPred[i]!),
    healedTrain: accuracyOn(trainPred, clean, c.indices),
    healedDiscovered: accuracyOn(trainPred, clean, discovered),
    healedUndiscovered: accuracyOn(trainPred, clean, undiscovered),
    // Still predicted with the corrupted label (the label trained on): what the drill-down marks red.
    followsCorruptedDiscovered: accuracyOn(trainPred, input.train.labels, discovered),
    followsCorruptedUndiscovered: accuracyOn(trainPred, input.train.labels, undiscovered)
  }
  if (task.corruption === 'poison') {
    const triggered = triggeredTest(input.test, input, c.triggerValue ?? 1)
    try {
      const pred = (await scoreSamples(model, triggered)).pred
      out.healedTest = accuracyOn(pred, testLabels)
      out.attackSuccessRate = attackSuccessRate(pred, testLabels, task.trigger.targetClass)
      out.targetClassAccuracy = accuracyOn(
        testPred,
        testLabels,
        indicesWhere(testLabels, (y) => y === task.trigger.targetClass)
      )
    } finally {
      triggered.x.dispose()
    }
    out.utility = accuracyOn(testPred, testLabels)
  } else if (task.corruption === 'interclass-swap') {
    const pair = new Set(task.swapClasses)
    out.healedTest = accuracyOn(
      testPred,
      testLabels,
      indicesWhere(testLabels, (y) => pair.has(y))
    )
    out.utility = accuracyOn(
      testPred,
      testLabels,
      indicesWhere(testLabels, (y) => !pair.has(y))
    )
  } else {
    out.healedTest = accuracyOn(testPred, testLabels)
    out.utility = out.healedTest
  }
  const u = out.utility as MaybeNumber
  const h = out.healedTrain as MaybeNumber
  out.utilityTimesHealed = u == null || h == null ? null : u * h
  return out
}
