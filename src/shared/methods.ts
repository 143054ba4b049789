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
  },
  rem: {
    label: 'REM (Redirection for Erasing Memory)',
    inheritsFromTrain: [],
    needs: 'forget set, training set, extra capacity',
    description:
      'Widens the model with dedicated channels, flushes the known-corrupted samples out of the original channels with NPO, redirects them into one shared subset of the new channels while every other sample gets its own, and drops the new channels at the end. Designed for the whole task space of discovery rate and regularity.',
    params: z
      .object({
        capacity: z.number().gt(0).lt(1).default(0.5),
        pMem: z.number().gt(0).max(1).default(0.2),
        beta: z.number().positive().default(1),
        rounds: z.number().int().min(1).max(100).default(10),
        removalThreshold: z.number().min(0).max(1).default(0.2),
        maxFlushEpochs: z.number().int().min(0).max(1000).default(100),
        learningRate: positive.default(0.01),
        momentum: z.number().min(0).max(0.999).default(0.9),
        weightDecay: z.number().min(0).max(0.1).default(5e-4),
        flush: z.enum(['npo', 'gradient-ascent']).default('npo'),
        redirection: z.boolean().default(true),
        continuedRemoval: z.boolean().default(true)
      })
      .strict()
  },
  npo: {
    label: 'NPO (negative preference optimisation)',
    inheritsFromTrain: [],
    needs: 'forget set',
    description: 'Pushes the forget set away from the original model with the NPO loss until forget accuracy is at most the threshold; keeps the epoch with the best label-free proxy.',
    params: z
      .object({ learningRate: positive.default(0.01), maxEpochs: epochs.default(100), removalThreshold: z.number().min(0).max(1).default(0.2), beta: z.number().positive().default(1) })
      .strict()
  },
  'gradient-ascent': {
    label: 'Gradient ascent',
    inheritsFromTrain: [],
    needs: 'forget set',
    description: 'Maximises the loss on the forget set until forget accuracy is at most the threshold; keeps the epoch with the best label-free proxy.',
    params: z.object({ learningRate: positive.default(0.01), maxEpochs: epochs.default(100), removalThreshold: z.number().min(0).max(1).default(0.2) }).strict()
  },
  potion: {
    label: 'Potion (adaptive label-free dampening)',
    inheritsFromTrain: [],
    needs: 'forget set, retain set (no labels)',
    description:
      'Dampens the parameters that matter far more to the forget set than to the retain set (importance from output-norm gradients, no labels), loosening the selection until forget accuracy falls below the cut.',
    params: z
      .object({
        lambda: z.number().positive().default(1),
        relativeCut: z.number().min(0).max(1).default(0.2),
        absoluteCut: z.number().min(0).max(1).default(0.2),
        maxTries: z.number().int().min(1).max(200).default(50)
      })
      .strict()
  },
  del: {
    label: 'DEL (Deletion by Example Localization)',
    // The paper finetunes as many epochs as the model was trained (30 and 30 on CIFAR-10).
    inheritsFromTrain: ['epochs'],
    needs: 'forget set, retain set',
    description:
      'Scores channels by |θ·∇loss| on the forget set, resets the top 30 % of parameters to fresh initial values, and finetunes only those (and the classifier head) on the retain set.',
    params: z
      .object({
        localization: z.enum(['del', 'salun', 'random']).default('del'),
        budget: z.number().gt(0).max(1).default(0.3),
        epochs: epochs.optional(),
        learningRate: positive.default(0.015)
      })
      .strict()
  },
  unsir: {
    label: 'UNSIR (error-maximising noise)',
    inheritsFromTrain: [],
    needs: 'retain subset (class forgetting only)',
    description:
      'Learns noise that maximises the error on each forgotten class, then impairs the model with that noise plus a small retain subset at a high learning rate, and repairs it on the retain subset.',
    params: z
      .object({
        noiseBatch: z.number().int().min(1).max(4096).default(256),
        noiseSteps: z.number().int().min(1).max(10000).default(40),
        noiseLearningRate: positive.default(0.1),
        noiseWeight: z.number().min(0).default(0.1),
        noiseCopies: z.number().int().min(1).max(1000).default(20),
        retainPerClass: z.number().int().min(1).default(1000),
        impairLearningRate: positive.default(0.02),
        repairLearningRate: positive.default(0.01),
        referenceNotebook: z.boolean().default(false)
      })
      .strict()
  },
  mnemonic: {
    label: 'One-shot Mnemonic-code unlearning',
    inheritsFromTrain: [],
    needs: 'training-time preparation (mnemonic codes); no data at forgetting time',
    description:
      'The model is trained with one random code image per class mixed in. Forgetting is a single perturbation of every parameter by the ratio of its Fisher information on the forgotten classes\' codes to the others\', computed from the codes alone.',
    params: z
      .object({
        // Defaults for 28×28 grey images, as in the paper's MNIST setting.
        lambda1: z.number().positive().default(1e-3),
        lambda2: z.number().positive().default(10)
      })
      .strict()
  },
  // NegGrad+, ℓ1-sparse and random labels: 10 epochs, as in the SalUn-family code these baselines come from.
  'neggrad-plus': {
    label: 'NegGrad+',
    inheritsFromTrain: [],
    needs: 'forget set, retain set',
    description: 'Descends the retain loss while ascending the forget loss: 0.99·CE(retain) − 0.01·CE(forget), with forget batches cycled alongside retain batches.',
    params: z.object({ epochs: epochs.default(10), learningRate: positive.default(0.01), retainWeight: z.number().gt(0).lt(1).default(0.99) }).strict()
  },
  'l1-sparse': {
    label: 'ℓ1-sparse finetuning',
    inheritsFromTrain: [],
    needs: 'retain set',
    description: 'Finetunes on the retain set with an ℓ1 penalty on the weights whose strength decays linearly from 7e-5, pushing the model toward a sparser one that forgets more readily.',
    params: z.object({ epochs: epochs.default(10), learningRate: positive.default(0.01), alpha: z.number().min(0).default(7e-5) }).strict()
  },
  'random-label': {
    label: 'Random labels',
    inheritsFromTrain: [],
    needs: 'forget set, retain set',
    description: 'Relabels the forget set with uniformly random wrong classes and finetunes on it together with the retain set.',
    params: z.object({ epochs: epochs.default(10), learningRate: positive.default(0.01) }).strict()
  }
} as const

export type MethodId = keyof typeof METHOD_CATALOG
export const METHOD_IDS = Object.keys(METHOD_CATALOG) as MethodId[]

export type MethodParams<M extends MethodId> = z.output<(typeof METHOD_CATALOG)[M]['params']>

export function isMethodId(id: string): id is MethodId {
  return Object.prototype.hasOwnProperty.call(METHOD_CATALOG, id)
}
