import { z } from 'zod'

/**
 * The unlearning methods the engine implements, with the parameter schema of each. The UI builds
 * its forms from this, the task spec validates against it, and the engine reads defaults from it.
 */

const positive = z.number().positive().finite()
const epochs = z.number().int().min(1).max(500)

export const METHOD_CATALOG = {
  retrain: {
    label: 'Retrain from scratch',
    /** Settings left out take the task's own training values. */
    inheritsFromTrain: ['epochs', 'learningRate'],
    needs: 'retain set',
    description:
      'Trains a fresh model on the retain set only, with the original training recipe. The gold standard every other method is measured against; the most expensive.',
    params: z
      .object({
        epochs: epochs.optional(),
        learningRate: positive.optional()
      })
      .strict()
  },
  finetune: {
    label: 'Finetune on retain',
    inheritsFromTrain: [],
    needs: 'retain set',
    description:
      'Continues training the original model on the retain set only, relying on catastrophic forgetting to wash out the forget set.',
    params: z
      .object({
        epochs: epochs.default(2),
        learningRate: positive.default(0.01)
      })
      .strict()
  }
} as const

export type MethodId = keyof typeof METHOD_CATALOG
export const METHOD_IDS = Object.keys(METHOD_CATALOG) as MethodId[]

export type MethodParams<M extends MethodId> = z.output<(typeof METHOD_CATALOG)[M]['params']>

export function isMethodId(id: string): id is MethodId {
  return Object.prototype.hasOwnProperty.call(METHOD_CATALOG, id)
}
