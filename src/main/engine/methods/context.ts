import type { MethodMetric } from '@shared/metrics/names'
import type { JobTask } from '@shared/task-spec'
import type { ForgetSplit } from '../data/splits'
import type { FunctionalModel } from '../model/functional-model'
import type { TensorSplit } from '../train/tensor-data'
import type { CancelToken } from '../util/cancel'
import type { MnemonicCodes } from '../train/mnemonic-codes'

/** What an unlearning method gets: the original model (read-only), the data and the split. */
export interface MethodContext {
  original: FunctionalModel
  train: TensorSplit
  split: ForgetSplit
  /** The job's one concrete task (a sweep cell): dataset, model, training recipe and what to forget. */
  spec: JobTask
  params: Record<string, unknown>
  seed: number
  /** The mnemonic codes the original was trained with, if it was. */
  codes?: MnemonicCodes | null
  /**
   * The original's accuracy on held-out data (the test split, restricted to the task's classes for
   * random examples of some classes): what a model that never saw the forget set would score on it.
   */
  heldOutAccuracy: () => Promise<number>
  /** Fraction of the method's own work done, in [0,1]. */
  progress: (fraction: number, detail: string) => void
  cancel: CancelToken
}

export interface MethodOutcome {
  /** A new model owned by the caller; never the original. */
  model: FunctionalModel
  steps: number
  /** Method-specific series or values recorded with the run's metrics (e.g. REM's per-round accuracies). */
  extraMetrics?: Partial<Record<MethodMetric, number | number[]>>
}

/** A method's inputs apart from its settings: what `runMethod` is given beside the raw settings. */
export type MethodInputs = Omit<MethodContext, 'params'>

/** A method called with raw settings (a `defineMethod` parses them against the catalog first). */
export type UnlearningMethod = (ctx: MethodContext) => Promise<MethodOutcome>
