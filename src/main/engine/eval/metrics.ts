import type { FunctionalModel } from '../model/functional-model'
import type { TensorSplit } from '../train/tensor-data'
import type { ForgetSplit } from '../data/splits'
import { accuracy } from './accuracy'

/** The audit metrics of one model on one task. Fractions in [0,1]. */
export async function measureModel(model: FunctionalModel, train: TensorSplit, test: TensorSplit, split: ForgetSplit): Promise<Record<string, number>> {
  return {
    testAccuracy: await accuracy(model, test),
    retainAccuracy: await accuracy(model, train, split.retain),
    forgetAccuracy: await accuracy(model, train, split.forget)
  }
}
