import { z } from 'zod'
import type { SearchSpace } from './tuning'

/**
 * The unlearning methods the engine implements, with the parameter schema of each. The UI builds
 * its forms from this, the task spec validates against it, and the engine reads defaults from it.
 */

const positive = z.number().positive().finite()
const epochs = z.number().int().min(1).max(500)

/** The REM paper's γ (after Potion): D_f counts as removed once it is at most this accurate. */
export const PAPER_REMOVAL_THRESHOLD = 0.2

/**
 * Forget-set accuracy at which removal stops: a number, or `auto` (PAPER_REMOVAL_THRESHOLD for
 * corrupted labels and forgotten classes, the original's held-out accuracy for random examples).
 */
const removalThreshold = z.union([z.literal('auto'), z.number().min(0).max(1)]).default('auto')

/**
 * How a method trains, where a user has no setting for it: the optimiser, its momentum and weight
 * decay, and the learning-rate schedule (cosine down to `scheduleFloor`·rate, decayed per step
 * unless `schedulePer` says per epoch). Numbers a method's algorithm fixes sit beside them.
 */
export interface TrainingRecipe {
  optimizer: 'sgd' | 'adam'
  momentum?: number
  weightDecay?: number
  schedule?: 'constant' | 'cosine'
  scheduleFloor?: number
  schedulePer?: 'step' | 'epoch'
  batchSize?: number
}

/** A number as a description prints it: 0.3 → `0.3`, 7e-5 → `7e-5`, without float noise (1 − 0.99 → `0.01`). */
export function formatNumber(value: number): string {
  const clean = Number(value.toPrecision(10))
  return clean !== 0 && Math.abs(clean) < 1e-3 ? clean.toExponential() : String(clean)
}

/** A fraction as a description prints it: 0.3 → `30 %`. */
export const formatPercent = (fraction: number): string => `${formatNumber(fraction * 100)} %`

/**
 * A method's parameter schema with its description, written as a template over the schema's
 * defaults: the text is filled from the values, so it cannot drift from them. `describe` renders
 * the text for other settings (the tests check a changed default changes the text).
 */
function described<P extends z.ZodType<Record<string, unknown>>>(params: P, describe: (defaults: z.output<P>) => string) {
  return { params, describe, description: describe(params.parse({})) }
}

/** Finetuning with random labels (Random labels and SalUn): momentum SGD without weight decay (a zero in a gradient mask then freezes its element), cosine to half the rate. */
const RANDOM_LABEL_RECIPE = {
  optimizer: 'sgd',
  momentum: 0.9,
  weightDecay: 0,
  schedule: 'cosine',
  scheduleFloor: 0.5
} as const satisfies TrainingRecipe

export const METHOD_CATALOG = {
  retrain: {
    group: 'retain',
    designedFor: ['random', 'class', 'corrupted'],
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
    group: 'retain',
    designedFor: ['random', 'class'],
    label: 'Finetune on retain',
    inheritsFromTrain: [],
    search: { learningRate: { log: [1e-3, 0.1] }, epochs: { int: [1, 5] } },
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
    group: 'extra-capacity',
    designedFor: ['corrupted'],
    label: 'REM (Redirection for Erasing Memory)',
    inheritsFromTrain: [],
    /** The official unlearning rate is a fifth of the pretraining rate (0.005 after 0.025, if-loops/rem experiments_run.sh). */
    scaledFromTrain: { learningRate: 0.2 },
    search: { learningRate: { log: [2e-3, 0.05] }, beta: { log: [0.1, 10] }, rounds: { int: [4, 15] } },
    needs: 'forget set, training set, extra capacity',
    description:
      'Widens the model with dedicated channels, flushes the known-corrupted samples out of the original channels with NPO, redirects them into one shared subset of the new channels while every other sample gets its own, and drops the new channels at the end. Designed for the whole task space of discovery rate and regularity.',
    /** SGD at a constant rate (momentum and weight decay are settings); the masked accuracy is measured in batches of `evalBatchSize`. */
    recipe: { optimizer: 'sgd', schedule: 'constant', evalBatchSize: 500 },
    params: z
      .object({
        capacity: z.number().gt(0).lt(1).default(0.5),
        pMem: z.number().gt(0).max(1).default(0.2),
        beta: z.number().positive().default(1),
        rounds: z.number().int().min(1).max(100).default(10),
        removalThreshold,
        maxFlushEpochs: z.number().int().min(0).max(1000).default(100),
        learningRate: positive.optional(),
        momentum: z.number().min(0).max(0.999).default(0.9),
        weightDecay: z.number().min(0).max(0.1).default(5e-4),
        flush: z.enum(['npo', 'gradient-ascent']).default('npo'),
        redirection: z.boolean().default(true),
        continuedRemoval: z.boolean().default(true),
        // Where the official code (if-loops/rem, class REM) differs from a first reading of the paper,
        // the default is the official behaviour; the other choice stays for comparisons.
        /** No round beats the original's proxy: keep the last round (official) or return the original unchanged. */
        fallback: z.enum(['last-round', 'original']).default('last-round'),
        /** Batch norm in Flush: batch statistics, moving averages updated (official), or held at the moving averages. */
        flushBatchNorm: z.enum(['train', 'hold']).default('train'),
        /** New channels: PyTorch's U(±1/√fan_in) with BN statistics of their real outputs (official), or Keras' Glorot with mean 0 / variance 1. */
        newChannels: z.enum(['pytorch', 'keras']).default('pytorch'),
        /** The frozen reference's shared mask for D_f: its own subset (official) or the student's. */
        referenceMask: z.enum(['own', 'student']).default('own')
      })
      .strict()
  },
  npo: {
    group: 'forget-only',
    designedFor: ['random', 'corrupted'],
    label: 'NPO (negative preference optimisation)',
    inheritsFromTrain: [],
    search: { learningRate: { log: [1e-4, 0.02] }, beta: { log: [0.1, 10] } },
    needs: 'forget set',
    description:
      'Pushes the forget set away from the original model with the NPO loss until forget accuracy is at most the threshold; keeps the epoch with the best label-free proxy.',
    /** Momentum SGD at a constant rate, without weight decay. */
    recipe: { optimizer: 'sgd', momentum: 0.9, weightDecay: 0, schedule: 'constant' },
    params: z
      .object({
        learningRate: positive.default(0.001),
        maxEpochs: epochs.default(100),
        removalThreshold,
        beta: z.number().positive().default(1)
      })
      .strict()
  },
  'gradient-ascent': {
    group: 'forget-only',
    designedFor: ['random', 'class'],
    label: 'Gradient ascent',
    inheritsFromTrain: [],
    search: { learningRate: { log: [1e-4, 0.05] } },
    needs: 'forget set',
    description:
      'Maximises the loss on the forget set until forget accuracy is at most the threshold; keeps the epoch with the best label-free proxy.',
    /** As NPO's: momentum SGD at a constant rate, without weight decay. */
    recipe: { optimizer: 'sgd', momentum: 0.9, weightDecay: 0, schedule: 'constant' },
    params: z.object({ learningRate: positive.default(0.0005), maxEpochs: epochs.default(100), removalThreshold }).strict()
  },
  potion: {
    group: 'retain',
    designedFor: ['corrupted'],
    label: 'Potion (adaptive label-free dampening)',
    inheritsFromTrain: [],
    search: { lambda: { log: [0.2, 5] }, absoluteCut: { range: [0.05, 0.4] } },
    needs: 'forget set, retain set (no labels)',
    description:
      'Dampens the parameters that matter far more to the forget set than to the retain set (importance from output-norm gradients, no labels), loosening the selection until forget accuracy falls below the cut.',
    /**
     * The selection: parameters whose forget/retain importance ratio (retain importance floored at
     * `ratioFloor`) lies above the percentile 100 − ln(1 + `selectionScale`·f), f starting at the
     * forget share of the data and growing by `loosenFactor` each try.
     */
    recipe: { ratioFloor: 1e-12, selectionScale: 100, loosenFactor: 1.1 },
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
    group: 'retain',
    designedFor: ['random', 'class'],
    label: 'DEL (Deletion by Example Localization)',
    // The paper finetunes as many epochs as the model was trained (30 and 30 on CIFAR-10).
    inheritsFromTrain: ['epochs'],
    search: { budget: { range: [0.05, 0.5] }, learningRate: { log: [3e-3, 0.05] } },
    needs: 'forget set, retain set',
    /**
     * The paper's finetuning recipe: momentum SGD without weight decay, cosine down to a floor of
     * the rate. A channel scores the mean of its top `channelTopFraction` entries (at least one).
     */
    recipe: { optimizer: 'sgd', momentum: 0.9, weightDecay: 0, schedule: 'cosine', scheduleFloor: 0.01, channelTopFraction: 0.1 },
    ...described(
      z
        .object({
          localization: z.enum(['del', 'salun', 'random']).default('del'),
          budget: z.number().gt(0).max(1).default(0.3),
          epochs: epochs.optional(),
          learningRate: positive.default(0.015)
        })
        .strict(),
      (d) =>
        `Scores channels by |θ·∇loss| on the forget set, resets the top ${formatPercent(d.budget)} of parameters to fresh initial values, and finetunes only those (and the classifier head) on the retain set.`
    )
  },
  unsir: {
    group: 'retain',
    designedFor: ['class'],
    accepts: ['class'],
    label: 'UNSIR (error-maximising noise)',
    inheritsFromTrain: [],
    search: { impairLearningRate: { log: [1e-3, 0.05] }, repairLearningRate: { log: [1e-3, 0.05] }, noiseWeight: { log: [0.01, 1] } },
    needs: 'retain subset (class forgetting only)',
    description:
      'Learns noise that maximises the error on each forgotten class, then impairs the model with that noise plus a small retain subset at a high learning rate, and repairs it on the retain subset.',
    /**
     * Both UNSIR steps (impair, then repair) run `epochs` passes of Adam at a constant rate over
     * batches of `batchSize`; the noise is learnt with `noiseOptimizer`. With `referenceNotebook`,
     * each noise copy holds `notebookSamplesPerCopy` samples, as that notebook's loop appends.
     */
    recipe: { epochs: 1, batchSize: 256, optimizer: 'adam', schedule: 'constant', noiseOptimizer: 'adam', notebookSamplesPerCopy: 3 },
    params: z
      .object({
        noiseBatch: z.number().int().min(1).max(4096).default(256),
        noiseSteps: z.number().int().min(1).max(10000).default(40),
        noiseLearningRate: positive.default(0.1),
        noiseWeight: z.number().min(0).default(0.1),
        // Not the notebook's 20 copies and Adam 0.02 / 0.01 (for a ResNet-18 trained with Adam at 0.01): on the
        // SGD-trained models here those cost 9-53 points of retain accuracy (method-notes.ts).
        noiseCopies: z.number().int().min(1).max(1000).default(1),
        retainPerClass: z.number().int().min(1).default(1000),
        impairLearningRate: positive.default(0.002),
        repairLearningRate: positive.default(0.002),
        referenceNotebook: z.boolean().default(false)
      })
      .strict()
  },
  mnemonic: {
    group: 'training-time',
    designedFor: ['class'],
    accepts: ['class'],
    requiresCodes: true,
    label: 'One-shot Mnemonic-code unlearning',
    inheritsFromTrain: [],
    search: { lambda1: { log: [1e-5, 1e-2] }, lambda2: { log: [1, 1e4] } },
    needs: 'training-time preparation (mnemonic codes); no data at forgetting time',
    description:
      "The model is trained with one random code image per class mixed in. Forgetting is a single perturbation of every parameter by the ratio of its Fisher information on the forgotten classes' codes to the others', computed from the codes alone.",
    /** Each Fisher entry starts at `fisherFloor`, so the ratio never divides by zero. */
    recipe: { fisherFloor: 1e-16 },
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
    group: 'retain',
    designedFor: ['random', 'class'],
    label: 'NegGrad+',
    inheritsFromTrain: [],
    search: { learningRate: { log: [1e-3, 0.05] }, retainWeight: { range: [0.99, 0.999] }, epochs: { int: [2, 10] } },
    needs: 'forget set, retain set',
    /** Momentum SGD at a constant rate, without weight decay. */
    recipe: { optimizer: 'sgd', momentum: 0.9, weightDecay: 0, schedule: 'constant' },
    ...described(
      z
        .object({ epochs: epochs.default(10), learningRate: positive.default(0.01), retainWeight: z.number().gt(0).lt(1).default(0.999) })
        .strict(),
      (d) =>
        `Descends the retain loss while ascending the forget loss: ${formatNumber(d.retainWeight)}·CE(retain) − ${formatNumber(1 - d.retainWeight)}·CE(forget), with forget batches cycled alongside retain batches.`
    )
  },
  'l1-sparse': {
    group: 'retain',
    designedFor: ['random', 'class'],
    label: 'ℓ1-sparse finetuning',
    inheritsFromTrain: [],
    search: { learningRate: { log: [1e-3, 0.05] }, alpha: { log: [1e-5, 1e-3] }, epochs: { int: [2, 10] } },
    needs: 'retain set',
    /** Momentum SGD without weight decay; the rate follows a cosine per epoch down to a floor of it, as the SalUn-family code steps its scheduler. */
    recipe: { optimizer: 'sgd', momentum: 0.9, weightDecay: 0, schedule: 'cosine', scheduleFloor: 0.01, schedulePer: 'epoch' },
    ...described(
      z.object({ epochs: epochs.default(10), learningRate: positive.default(0.01), alpha: z.number().min(0).default(7e-5) }).strict(),
      (d) =>
        `Finetunes on the retain set with an ℓ1 penalty on the weights whose strength decays linearly from ${formatNumber(d.alpha)}, pushing the model toward a sparser one that forgets more readily.`
    )
  },
  'random-label': {
    group: 'retain',
    designedFor: ['random', 'class'],
    label: 'Random labels',
    inheritsFromTrain: [],
    search: { learningRate: { log: [1e-3, 0.05] }, epochs: { int: [2, 10] } },
    needs: 'forget set, retain set',
    description: 'Relabels the forget set with uniformly random wrong classes and finetunes on it together with the retain set.',
    recipe: RANDOM_LABEL_RECIPE,
    params: z.object({ epochs: epochs.default(10), learningRate: positive.default(0.01) }).strict()
  },
  scrub: {
    group: 'retain',
    designedFor: ['random', 'class', 'corrupted'],
    label: 'SCRUB',
    inheritsFromTrain: [],
    search: { learningRate: { log: [3e-4, 0.01] }, alpha: { log: [1e-3, 1] }, maxEpochs: { int: [1, 5] } },
    needs: 'forget set, retain set',
    description:
      'A student copy of the original is pushed away from it on the forget set (max-steps, only in the first epochs) and kept close to it on the retain set (min-steps), with cross-entropy plus α·T²·KL(original ‖ student) at temperature T.',
    /** Momentum SGD with weight decay at a constant rate, as the SCRUB paper trains its student. */
    recipe: { optimizer: 'sgd', momentum: 0.9, weightDecay: 5e-4, schedule: 'constant' },
    params: z
      .object({
        epochs: epochs.default(5),
        maxEpochs: z.number().int().min(0).max(500).default(3),
        learningRate: positive.default(0.001),
        alpha: z.number().min(0).default(0.01),
        temperature: positive.default(4)
      })
      .strict()
  },
  'bad-teacher': {
    group: 'full-train',
    designedFor: ['class', 'random'],
    label: 'Bad Teacher',
    inheritsFromTrain: [],
    search: { learningRate: { log: [1e-5, 1e-3] }, epochs: { int: [1, 3] } },
    needs: 'full training set',
    description:
      'Distils from two teachers over the whole training set: a randomly initialised, incompetent one for the forget samples and the original model for every other sample, minimising KL(teacher ‖ student).',
    /** Adam at a constant rate, without weight decay; the KL is taken at `temperature`. */
    recipe: { optimizer: 'adam', weightDecay: 0, schedule: 'constant', temperature: 1 },
    params: z.object({ epochs: epochs.default(1), learningRate: positive.default(1e-4) }).strict()
  },
  ssd: {
    group: 'full-train',
    designedFor: ['class', 'random'],
    label: 'SSD (selective synaptic dampening)',
    inheritsFromTrain: [],
    search: { alpha: { log: [1, 100] }, lambda: { log: [0.1, 10] } },
    needs: 'forget set, full training set',
    description:
      'Without any training, dampens each parameter that is much more important to the forget set than to the full training set (importance: mean squared gradient): where imp_f > α·imp_D it is scaled by min(1, λ·imp_D / imp_f).',
    params: z.object({ alpha: positive.default(10), lambda: positive.default(1) }).strict()
  },
  salun: {
    group: 'retain',
    designedFor: ['random', 'class'],
    label: 'SalUn (saliency unlearning)',
    inheritsFromTrain: [],
    search: { saliency: { range: [0.1, 0.9] }, learningRate: { log: [1e-3, 0.05] }, epochs: { int: [2, 10] } },
    needs: 'forget set, retain set',
    /** As Random labels'. */
    recipe: RANDOM_LABEL_RECIPE,
    ...described(
      z
        .object({ saliency: z.number().gt(0).max(1).default(0.5), epochs: epochs.default(10), learningRate: positive.default(0.01) })
        .strict(),
      (d) =>
        `Masks the salient ${d.saliency === 0.5 ? 'half' : formatPercent(d.saliency)} of the weights (the largest |gradient of the forget loss|), then relabels the forget set with random wrong classes and finetunes it with the retain set, updating only the masked weights.`
    )
  },
  'cf-k': {
    group: 'retain',
    designedFor: ['class', 'random'],
    label: 'CF-k (finetune the last k layers)',
    inheritsFromTrain: [],
    search: { layers: { int: [1, 3] }, learningRate: { log: [1e-3, 0.05] }, epochs: { int: [2, 8] } },
    needs: 'retain set',
    description:
      'Catastrophic forgetting of the last k layers: finetunes only the last k weighted layers on the retain set, leaving the rest of the network frozen.',
    params: z
      .object({ layers: z.number().int().min(1).max(100).default(2), epochs: epochs.default(5), learningRate: positive.default(0.01) })
      .strict()
  },
  'eu-k': {
    group: 'retain',
    designedFor: ['class', 'random'],
    label: 'EU-k (retrain the last k layers)',
    inheritsFromTrain: ['epochs', 'learningRate'],
    search: { layers: { int: [1, 3] }, learningRate: { log: [3e-3, 0.1] } },
    needs: 'retain set',
    description:
      'Exact unlearning of the last k layers: re-initialises the last k weighted layers and trains only them on the retain set with the original recipe.',
    params: z
      .object({ layers: z.number().int().min(1).max(100).default(2), epochs: epochs.optional(), learningRate: positive.optional() })
      .strict()
  }
} as const

export type MethodId = keyof typeof METHOD_CATALOG

type TaskKind = 'random' | 'class' | 'corrupted'
type CatalogEntry = (typeof METHOD_CATALOG)[MethodId]

/** What a method needs beyond the original model; the picker groups methods by it. */
export const METHOD_GROUPS = {
  'forget-only': 'Forget set only',
  retain: 'Needs the retain set',
  'full-train': 'Needs the full training set',
  'training-time': 'Needs training-time preparation',
  'extra-capacity': 'Adds capacity while unlearning'
} as const
export type MethodGroup = keyof typeof METHOD_GROUPS

export function methodGroup(id: MethodId): MethodGroup {
  return METHOD_CATALOG[id].group
}

/** The task kinds a method was designed and evaluated for by its authors. */
export function designedFor(id: MethodId): readonly TaskKind[] {
  return METHOD_CATALOG[id].designedFor
}

/** The task kinds a method can run on at all (by default every kind). */
export function acceptedTaskKinds(id: MethodId): readonly TaskKind[] {
  const entry: CatalogEntry = METHOD_CATALOG[id]
  return 'accepts' in entry ? entry.accepts : ['random', 'class', 'corrupted']
}

/**
 * The knobs equal-budget tuning draws a method's trials from (its learning rate, length and its own
 * strength setting), or null for retrain, the reference every method is measured against.
 */
export function searchSpaceOf(id: MethodId): SearchSpace | null {
  const entry: CatalogEntry = METHOD_CATALOG[id]
  return 'search' in entry ? entry.search : null
}

/** Settings a method takes as a multiple of the task's training settings when the spec leaves them out. */
export function scaledFromTrain(id: MethodId): Readonly<Record<string, number>> {
  const entry: CatalogEntry = METHOD_CATALOG[id]
  return 'scaledFromTrain' in entry ? entry.scaledFromTrain : {}
}

/** Whether a method only works on a model trained with mnemonic codes. */
export function requiresMnemonicCodes(id: MethodId): boolean {
  const entry: CatalogEntry = METHOD_CATALOG[id]
  return 'requiresCodes' in entry && entry.requiresCodes
}
export const METHOD_IDS = Object.keys(METHOD_CATALOG) as MethodId[]

export type MethodParams<M extends MethodId> = z.output<(typeof METHOD_CATALOG)[M]['params']>

export function isMethodId(id: string): id is MethodId {
  return Object.prototype.hasOwnProperty.call(METHOD_CATALOG, id)
}
