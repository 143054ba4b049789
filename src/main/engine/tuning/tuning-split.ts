import type { TaskData } from '../data/task-data'
import { type ForgetSplit, splitFromForget } from '../data/splits'
import { createRng, hashSeed, shuffled } from '../util/random'

/** Share of the discovered set hidden from a U×H trial, to be healed as if undiscovered. */
export const HELD_OUT_DISCOVERED_SHARE = 0.3

/** Fewest and most samples of the validation split, whatever the fraction asks. */
const VALIDATION_MIN = 20
const VALIDATION_MAX = 2000

/**
 * What a tuning trial sees: the task's split with a validation split taken out of the retain set
 * (clean samples only, so its accuracy is a utility), and for U×H part of the discovered set moved
 * back among the undiscovered samples, where it stays trained on with its corrupted label.
 */
export interface TuningSplit {
  /** The split a trial's method runs on; validation samples are in neither of its sets. */
  split: ForgetSplit
  validation: Int32Array
  /** Discovered samples the trial does not know of (empty unless held out for U×H). */
  heldOut: Int32Array
}

export function makeTuningSplit(
  taskData: TaskData,
  o: { validationFraction: number; holdOutDiscovered: boolean; seed: number }
): TuningSplit {
  const { forget, retain } = taskData.split
  const corrupted = new Set(taskData.corruption?.indices ?? [])
  const clean = Array.from(retain).filter((i) => !corrupted.has(i))
  const size = Math.min(VALIDATION_MAX, Math.max(VALIDATION_MIN, Math.round(o.validationFraction * retain.length)))
  if (clean.length < size + 1)
    throw new Error(`tuning: the retain set has ${clean.length} clean samples, too few to hold out a validation split of ${size}`)
  const validation = Int32Array.from(shuffled(clean, createRng(hashSeed(o.seed, 'tuning-validation'))).slice(0, size)).sort()
  let heldOut = new Int32Array(0)
  if (o.holdOutDiscovered) {
    if (forget.length < 2)
      throw new Error(`tuning: U×H holds out part of the discovered set, which has ${forget.length} sample; discover at least 2`)
    const count = Math.max(1, Math.round(HELD_OUT_DISCOVERED_SHARE * forget.length))
    heldOut = Int32Array.from(shuffled(forget, createRng(hashSeed(o.seed, 'tuning-held-out'))).slice(0, count)).sort()
  }
  const hidden = new Set(heldOut)
  const trialForget = Int32Array.from(Array.from(forget).filter((i) => !hidden.has(i)))
  const full = splitFromForget(trialForget, taskData.train.count)
  const inValidation = new Set(validation)
  return {
    split: { ...full, retain: Int32Array.from(Array.from(full.retain).filter((i) => !inValidation.has(i))) },
    validation,
    heldOut
  }
}
