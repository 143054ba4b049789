import type { ForgetTask } from '@shared/task-spec'
import { corruptTrainingSet, discoverSubset } from './corruption'
import type { Split } from './dataset'
import { type ForgetSplit, makeForgetSplit, sha256OfIndices, splitFromForget } from './splits'

/** Everything a task adds to a dataset: what the model trains on, what is forgotten, what is corrupted. */
export interface TaskData {
  /** The training split as the model sees it (corrupted for corrupted tasks). */
  train: Split
  /** True labels of the training split. */
  cleanLabels: Int32Array
  split: ForgetSplit
  corruption: {
    /** D_c, ascending. */
    indices: Int32Array
    sha256: string
    /** 1 for samples of D_c that are in D_f (discovered). */
    discovered: Uint8Array
    triggerValue: number | null
  } | null
}

export function prepareTaskData(task: ForgetTask, train: Split, inputShape: number[], numClasses: number, seed: number): TaskData {
  if (task.kind !== 'corrupted') {
    return { train, cleanLabels: train.labels, split: makeForgetSplit(task, train.labels, seed), corruption: null }
  }
  const c = corruptTrainingSet(task, train, inputShape, numClasses, seed)
  const forget = discoverSubset(c.corrupted, task.discoveryRate, seed)
  const discovered = new Uint8Array(train.count)
  for (const i of forget) discovered[i] = 1
  return {
    train: { images: c.images, labels: c.labels, count: train.count },
    cleanLabels: train.labels,
    split: splitFromForget(forget, train.count),
    corruption: { indices: c.corrupted, sha256: sha256OfIndices(c.corrupted), discovered, triggerValue: c.triggerValue }
  }
}
