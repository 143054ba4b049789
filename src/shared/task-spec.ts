import { z } from 'zod'
import { METHOD_CATALOG, METHOD_IDS, type MethodId, acceptedTaskKinds, isMethodId, requiresMnemonicCodes, scaledFromTrain } from './methods'
import { PrivacySettingsSchema } from './privacy/settings'
import { TuningSettingsSchema, tuningObjective } from './tuning'
import { describeZodError } from './zod-errors'

export const ARCHITECTURE_IDS = ['mlp', 'cnn-small', 'resnet-mini', 'resnet-9', 'resnet-18'] as const

/** The largest width multiplier: twice the channels is about four times the compute of width 1. */
export const MAX_WIDTH = 2

const DatasetRef = z
  .object({
    id: z.string().min(1).max(200),
    trainLimit: z.number().int().min(10).optional(),
    testLimit: z.number().int().min(10).optional()
  })
  .strict()

/**
 * The original model: one of ours trained from scratch (`arch`, its channel counts scaled by `width`,
 * default 1), a model in the library named by its sha256, or a LayersModel folder or .zip imported
 * when the audit is created (`path`).
 */
const ModelRef = z.union([
  z.object({ arch: z.enum(ARCHITECTURE_IDS), width: z.number().gt(0).max(MAX_WIDTH).optional() }).strict(),
  z.object({ sha256: z.string().regex(/^[0-9a-f]{64}$/, 'a sha256 is 64 lowercase hex digits') }).strict(),
  z.object({ path: z.string().min(1).max(4096) }).strict()
])
export type ModelRef = z.output<typeof ModelRef>

/** The architecture to train, or null when the original is a given model. */
export const architectureOf = (model: ModelRef): string | null => ('arch' in model ? model.arch : null)

/**
 * The architecture with its width where that is not 1 (`resnet-18 ×0.25`), or null for a given
 * model: what speeds, filters and labels tell apart, as the compute differs with the width.
 */
export function architectureLabel(model: ModelRef | { arch?: string | null; width?: number | null }): string | null {
  if (!('arch' in model) || !model.arch) return null
  const width = model.width ?? 1
  return width === 1 ? model.arch : `${model.arch} ×${width}`
}

/**
 * Random crops (zero padding of `crop` pixels, then a window of the original size at a random
 * offset) and horizontal flips (half the images), drawn per image and batch from the run's seed.
 */
const Augment = z
  .object({
    crop: z.number().int().min(0).max(16).default(0),
    flip: z.boolean().default(false)
  })
  .strict()
export type Augment = z.output<typeof Augment>

const TrainConfig = z
  .object({
    epochs: z.number().int().min(1).max(500),
    batchSize: z.number().int().min(1).max(4096).default(128),
    optimizer: z.enum(['sgd', 'adam']).default('sgd'),
    learningRate: z.number().positive().max(10),
    momentum: z.number().min(0).max(0.999).default(0.9),
    weightDecay: z.number().min(0).max(1).default(0),
    schedule: z.enum(['constant', 'cosine']).default('cosine'),
    /** Data augmentation of every training batch, for the original and every method that trains; none when left out. */
    augment: Augment.optional(),
    /** Train with one random code image per class mixed in (needed by one-shot Mnemonic-code unlearning). */
    mnemonicCodes: z
      .object({ tMix: z.number().gt(0).lt(1).default(0.1) })
      .strict()
      .optional()
  })
  .strict()

const classList = z
  .array(z.number().int().min(0))
  .min(1)
  .refine((c) => new Set(c).size === c.length, 'classes must not repeat')

export const CORRUPTIONS = ['poison', 'interclass-swap', 'random-swap'] as const
export type Corruption = (typeof CORRUPTIONS)[number]

const Trigger = z
  .object({
    size: z.number().int().min(1).max(16).default(3),
    position: z.enum(['bottom-right', 'bottom-left', 'top-right', 'top-left']).default('bottom-right'),
    /** Pixel value of the patch; defaults to the dataset's maximum (1 for images scaled to [0,1]). */
    value: z.number().optional(),
    targetClass: z.number().int().min(0).default(0),
    /**
     * Draw the poisoned samples from every class, the target's included, as the official REM code does
     * (those then count as healed whenever the trigger fires); by default only other classes are poisoned.
     */
    includeTargetClass: z.boolean().optional()
  })
  .strict()

const classPair = z
  .tuple([z.number().int().min(0), z.number().int().min(0)])
  .refine(([a, b]) => a !== b, 'the two classes of a swap must differ')

/** REM's task space: a corrupted subset D_c of the training set, of which a share (the discovery rate) is known. */
const CorruptedTask = z
  .object({
    kind: z.literal('corrupted'),
    corruption: z.enum(CORRUPTIONS),
    corruptedCount: z.number().int().min(2),
    discoveryRate: z.number().gt(0).max(1),
    trigger: Trigger.default({ size: 3, position: 'bottom-right', targetClass: 0 }),
    /** Fashion-MNIST's most confusable pair: T-shirt/top and Shirt. */
    swapClasses: classPair.default([0, 6])
  })
  .strict()

const ForgetTask = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('random'), fraction: z.number().gt(0).lt(1), classes: classList.optional() }).strict(),
  z.object({ kind: z.literal('class'), classes: classList }).strict(),
  CorruptedTask
])

/**
 * Lists of values to cross: task fields (one audit cell per combination) and method settings (one
 * method run per combination). Crossed with `seeds`.
 */
const SweepSpec = z
  .object({
    corruption: z.array(z.enum(CORRUPTIONS)).min(1).optional(),
    discoveryRate: z.array(z.number().gt(0).max(1)).min(1).optional(),
    corruptedCount: z.array(z.number().int().min(2)).min(1).optional(),
    classes: z.array(classList).min(1).optional(),
    /** Channel widths of the model (its hidden size): each is an original of its own, trained per seed. */
    width: z.array(z.number().gt(0).max(MAX_WIDTH)).min(1).optional(),
    fraction: z.array(z.number().gt(0).lt(1)).min(1).optional(),
    /** Per method id, per setting, the values to try. */
    params: z.record(z.string(), z.record(z.string(), z.array(z.unknown()).min(1))).optional()
  })
  .strict()
export type SweepSpec = z.output<typeof SweepSpec>

const MethodEntry = z.union([z.string(), z.object({ id: z.string(), params: z.record(z.string(), z.unknown()).default({}) }).strict()])

export const TaskSpecSchema = z
  .object({
    name: z.string().min(1).max(200),
    dataset: DatasetRef,
    model: ModelRef,
    train: TrainConfig,
    task: ForgetTask,
    methods: z.array(MethodEntry).min(1).max(50),
    seeds: z
      .array(
        z
          .number()
          .int()
          .min(0)
          .max(2 ** 31 - 1)
      )
      .min(1)
      .max(100)
      .default([0]),
    sweep: SweepSpec.optional(),
    /** Per-example membership attacks, reference models and a retrain band (privacy/settings.ts). */
    privacy: PrivacySettingsSchema.optional(),
    /** Equal-budget tuning of every method but retrain on a validation split (tuning.ts). */
    tuning: TuningSettingsSchema.optional()
  })
  .strict()

export type TaskSpecInput = z.input<typeof TaskSpecSchema>
type ParsedSpec = z.output<typeof TaskSpecSchema>
export type TrainConfig = z.output<typeof TrainConfig>
export type ForgetTask = z.output<typeof ForgetTask>

/** One method run of a spec: its id and every setting, defaults and swept values filled in. */
export const MethodRunSchema = z
  .object({ id: z.enum(METHOD_IDS as [MethodId, ...MethodId[]]), params: z.record(z.string(), z.unknown()) })
  .strict()
export type MethodRun = z.output<typeof MethodRunSchema>

/**
 * A validated spec as it is stored and sent: methods resolved to ids with full parameter sets.
 * `parseTaskSpec` is the only way to make one from what a user wrote; this schema re-checks one
 * that crossed a boundary (the database, IPC, a bundle).
 */
export const ResolvedTaskSpecSchema = TaskSpecSchema.omit({ methods: true })
  .extend({ methods: z.array(MethodRunSchema).min(1) })
  .strict()
export type TaskSpec = z.output<typeof ResolvedTaskSpecSchema>

/** What one engine job needs of a spec: one concrete task (one sweep cell), no method list. */
export const JobTaskSchema = ResolvedTaskSpecSchema.pick({ dataset: true, model: true, train: true, task: true }).strict()
export type JobTask = z.output<typeof JobTaskSchema>

export class SpecError extends Error {
  override name = 'SpecError'
}

/** Validates a task spec. Throws SpecError whose message names each bad field. */
export function parseTaskSpec(raw: unknown): TaskSpec {
  const parsed = TaskSpecSchema.safeParse(raw)
  if (!parsed.success) throw new SpecError(describeZodError(parsed.error))
  const spec = parsed.data
  const methods = spec.methods.flatMap((entry, i): MethodRun[] => {
    const id = typeof entry === 'string' ? entry : entry.id
    const given = typeof entry === 'string' ? {} : entry.params
    if (!isMethodId(id)) throw new SpecError(`methods[${i}]: unknown method "${id}" (known: ${METHOD_IDS.join(', ')})`)
    const refusal = methodRefusal(id, spec)
    if (refusal) throw new SpecError(`methods[${i}]: ${refusal}`)
    const swept = spec.sweep?.params?.[id] ?? {}
    return crossProduct(swept).map((values) => {
      const params = METHOD_CATALOG[id].params.safeParse({ ...given, ...values })
      if (!params.success)
        throw new SpecError(describeZodError(params.error, Object.keys(values).length ? `sweep.params.${id}` : `methods[${i}].params`))
      const inherited = Object.fromEntries(METHOD_CATALOG[id].inheritsFromTrain.map((k) => [k, spec.train[k]]))
      const train = spec.train as Record<string, unknown>
      const scaled = Object.fromEntries(
        Object.entries(scaledFromTrain(id)).map(([k, f]) => [k, Number((f * (train[k] as number)).toPrecision(10))])
      )
      const set = Object.fromEntries(Object.entries(params.data as Record<string, unknown>).filter(([, v]) => v !== undefined))
      return { id, params: { ...inherited, ...scaled, ...set } }
    })
  })
  for (const id of Object.keys(spec.sweep?.params ?? {})) {
    if (!methods.some((m) => m.id === id)) throw new SpecError(`sweep.params.${id}: "${id}" is not one of the task's methods`)
  }
  checkSweepFields(spec)
  if (spec.privacy && !methods.some((m) => m.id === 'retrain'))
    throw new SpecError('privacy: the retrain band and U-LiRA compare every model with retraining, so add "retrain" to methods')
  if (spec.tuning) checkTuning(spec, methods)
  const seen = new Set<string>()
  methods.forEach((m, i) => {
    const key = `${m.id}:${JSON.stringify(m.params)}`
    if (seen.has(key)) throw new SpecError(`methods[${i}]: "${m.id}" is listed twice with the same settings`)
    seen.add(key)
  })
  return { ...spec, methods }
}

/** Tuning must have an objective that fits the task, and ToW a retrain to measure against. */
function checkTuning(spec: ParsedSpec, methods: MethodRun[]): void {
  let objective
  try {
    objective = tuningObjective(spec.tuning!, spec.task.kind)
  } catch (err) {
    throw new SpecError((err as Error).message)
  }
  if (objective === 'tow' && !methods.some((m) => m.id === 'retrain'))
    throw new SpecError('tuning: trials on a forgetting task are scored by ToW against the retrain, so add "retrain" to methods')
}

/** Every combination of the listed values, as objects; one empty object when nothing is listed. */
export function crossProduct(lists: Record<string, readonly unknown[]>): Array<Record<string, unknown>> {
  return Object.entries(lists).reduce<Array<Record<string, unknown>>>(
    (acc, [key, values]) => acc.flatMap((combo) => values.map((v) => ({ ...combo, [key]: v }))),
    [{}]
  )
}

/** Task fields may only be swept where the task has them. */
function checkSweepFields(spec: ParsedSpec): void {
  const sweep = spec.sweep
  if (!sweep) return
  const kind = spec.task.kind
  const allowed: Record<string, ReadonlyArray<ForgetTask['kind']>> = {
    corruption: ['corrupted'],
    discoveryRate: ['corrupted'],
    corruptedCount: ['corrupted'],
    classes: ['class', 'random'],
    fraction: ['random']
  }
  if (sweep.width !== undefined && !('arch' in spec.model))
    throw new SpecError('sweep.width: only a model this app trains (model.arch) has a width to sweep; a given model has its own')
  for (const [field, kinds] of Object.entries(allowed)) {
    if (sweep[field as keyof SweepSpec] !== undefined && !kinds.includes(kind)) {
      throw new SpecError(
        `sweep.${field}: tasks of kind "${kind}" have no ${field} (only ${kinds.map((k) => `"${k}"`).join(' or ')} tasks do)`
      )
    }
  }
}

/** Why a method cannot run on this task, or null if it can: checked before any training starts. */
export function methodRefusal(id: MethodId, spec: Pick<ParsedSpec, 'task' | 'train' | 'model'>): string | null {
  const label = METHOD_CATALOG[id].label
  const kinds = acceptedTaskKinds(id)
  if (!kinds.includes(spec.task.kind))
    return `${label} only handles tasks of kind ${kinds.map((k) => `"${k}"`).join(' or ')}, not "${spec.task.kind}"`
  // A given model may carry its codes already: the audit checks that against the library.
  if (requiresMnemonicCodes(id) && !spec.train.mnemonicCodes && architectureOf(spec.model))
    return `${label} needs a model trained with mnemonic codes: set train.mnemonicCodes`
  return null
}

/** Checks that depend on the dataset: class indices in range, subsets not larger than the data. */
export function checkSpecAgainstDataset(
  spec: Pick<TaskSpec, 'task' | 'dataset'>,
  dataset: { numClasses: number; trainSize: number; testSize: number }
): void {
  if (spec.task.kind === 'corrupted') {
    checkCorruption(spec.task, spec.dataset.trainLimit ?? dataset.trainSize, dataset.numClasses)
    return checkSubsets(spec, dataset)
  }
  const classes = spec.task.classes ?? []
  classes.forEach((c, i) => {
    if (c >= dataset.numClasses)
      throw new SpecError(`task.classes[${i}]: class ${c} does not exist (the dataset has classes 0-${dataset.numClasses - 1})`)
  })
  if (spec.task.kind === 'class' && classes.length >= dataset.numClasses) {
    throw new SpecError('task.classes: forgetting every class leaves nothing to retain')
  }
  checkSubsets(spec, dataset)
}

function checkCorruption(task: Extract<ForgetTask, { kind: 'corrupted' }>, trainSize: number, numClasses: number): void {
  const inRange = (c: number, field: string) => {
    if (c >= numClasses) throw new SpecError(`${field}: class ${c} does not exist (the dataset has classes 0-${numClasses - 1})`)
  }
  if (task.corruption === 'poison') inRange(task.trigger.targetClass, 'task.trigger.targetClass')
  if (task.corruption === 'interclass-swap') task.swapClasses.forEach((c, i) => inRange(c, `task.swapClasses[${i}]`))
  if (task.corruptedCount > trainSize / 2) {
    throw new SpecError(`task.corruptedCount: ${task.corruptedCount} is more than half of the ${trainSize} training samples`)
  }
}

function checkSubsets(spec: Pick<TaskSpec, 'dataset'>, dataset: { trainSize: number; testSize: number }): void {
  if ((spec.dataset.trainLimit ?? 0) > dataset.trainSize) {
    throw new SpecError(`dataset.trainLimit: ${spec.dataset.trainLimit} is more than the ${dataset.trainSize} training samples`)
  }
  if ((spec.dataset.testLimit ?? 0) > dataset.testSize) {
    throw new SpecError(`dataset.testLimit: ${spec.dataset.testLimit} is more than the ${dataset.testSize} test samples`)
  }
}
