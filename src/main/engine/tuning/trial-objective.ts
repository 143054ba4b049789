import type { TuningObjective } from '@shared/tuning'
import type { ForgetSplit } from '../data/splits'
import type { TaskData } from '../data/task-data'
import { accuracy, predict } from '../eval/accuracy'
import type { FunctionalModel } from '../model/functional-model'
import type { TensorSplit } from '../train/tensor-data'
import { createRng, hashSeed, shuffled } from '../util/random'

/** The audit's retrain on the same task: what ToW measures a trial's accuracies against. */
export interface RetrainTargets {
  forgetAccuracy: number
  retainAccuracy: number
}

/** Retain accuracy is read on at most this many samples: a trial's score needs it only to about a point. */
const RETAIN_SAMPLE = 2000

export interface TrialData {
  train: TensorSplit
  taskData: TaskData
  /** The trial's split (validation samples in neither set). */
  split: ForgetSplit
  validation: Int32Array
  heldOut: Int32Array
}

/** A trial's objective and its parts, from training data only: the validation split and the held-out discovered samples. */
export async function scoreTrial(
  model: FunctionalModel,
  d: TrialData,
  objective: TuningObjective,
  retrain: RetrainTargets | null
): Promise<{ objective: number; components: Record<string, number> }> {
  const validationAccuracy = await accuracy(model, d.train, d.validation)
  if (objective === 'uxh') {
    // Healed: predicted with the clean label, on the held-out samples as trained (trigger on for poison).
    const pred = await predict(model, d.train, d.heldOut)
    const clean = d.taskData.cleanLabels
    const healedHeldOut = pred.reduce((n, p, k) => n + (p === clean[d.heldOut[k]!] ? 1 : 0), 0) / d.heldOut.length
    return { objective: validationAccuracy * healedHeldOut, components: { validationAccuracy, healedHeldOut } }
  }
  if (!retrain) throw new Error('ToW needs the retrain of the same task')
  const retainSample = Int32Array.from(
    shuffled(d.split.retain, createRng(hashSeed(0, 'tuning-retain-sample'))).slice(0, RETAIN_SAMPLE)
  ).sort()
  const forgetAccuracy = await accuracy(model, d.train, d.split.forget)
  const retainAccuracy = await accuracy(model, d.train, retainSample)
  const tow =
    (1 - Math.abs(forgetAccuracy - retrain.forgetAccuracy)) * (1 - Math.abs(retainAccuracy - retrain.retainAccuracy)) * validationAccuracy
  return { objective: tow, components: { forgetAccuracy, retainAccuracy, validationAccuracy } }
}
