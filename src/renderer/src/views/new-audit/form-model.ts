import type { Catalog, ModelSummary } from '@shared/api/contract'
import { isMethodId, METHOD_CATALOG, scaledFromTrain } from '@shared/methods'
import { PRIVACY_TIERS, type PrivacyTier, tierOf } from '@shared/privacy/settings'
import type { Corruption, TaskSpec, TaskSpecInput } from '@shared/task-spec'
import type { TuningSettings } from '@shared/tuning'

/**
 * The new-audit form's fields, and the spec they make (and the fields a stored spec makes). Numbers
 * are `number | null` (null while a field is empty): the spec carries what was typed, and the
 * validation names what is wrong with it, as the server would.
 */

export type TaskKind = 'random' | 'class' | 'corrupted'
export type TriggerPosition = 'bottom-right' | 'bottom-left' | 'top-right' | 'top-left'
type Num = number | null

/** The privacy evidence an audit buys: none, a tier, or values of the auditor's own. */
export type PrivacyChoice = 'off' | PrivacyTier | 'custom'

/** What tuning trials are scored by: `auto` picks U×H for corrupted tasks and ToW for forgetting tasks. */
export type TuningSelectBy = TuningSettings['selectBy']

export interface AuditFormState {
  name: string
  datasetId: string
  trainLimit: Num
  testLimit: Num
  /** An architecture id, or GIVEN + the sha256 of a library model. */
  model: string
  /** Channel multiplier of a trained architecture (1 = as published). */
  width: Num
  epochs: Num
  batchSize: Num
  optimizer: 'sgd' | 'adam'
  learningRate: Num
  momentum: Num
  weightDecay: Num
  schedule: 'constant' | 'cosine'
  /** Pixels of zero padding for random crops; 0 = no crops. */
  augmentCrop: Num
  augmentFlip: boolean
  /** 0 = train without mnemonic codes. */
  codesTMix: Num
  kind: TaskKind
  fraction: Num
  /** Classes to forget (class task), or to draw the random samples from (random task; empty = all). */
  classes: number[]
  corruption: Corruption
  corruptedCount: Num
  discoveryRate: Num
  triggerSize: Num
  /** Null means the dataset's maximum pixel value. */
  triggerValue: Num
  triggerPosition: TriggerPosition
  targetClass: number
  swapA: number
  swapB: number
  methods: string[]
  /** Settings kept per method (from a duplicated audit); methods without an entry take their defaults. */
  methodParams: Record<string, Record<string, unknown>>
  /** Comma-separated seeds, as typed. */
  seeds: string
  /** The task-space sweep (corrupted tasks): empty lists mean no sweep. */
  sweepCorruptions: Corruption[]
  sweepRates: string
  sweepCounts: string
  /** Random tasks: fractions to sweep. */
  sweepFractions: string
  /** Parts of a duplicated audit's sweep the form has no field for, passed on as they were. */
  sweepKept: Pick<NonNullable<TaskSpecInput['sweep']>, 'classes' | 'params'>
  privacy: PrivacyChoice
  /** The values a custom privacy setting uses (the standard tier's until edited). */
  privacyCustom: { referenceModels: Num; retrains: Num; attackSize: Num }
  /** Equal-budget tuning of every method but retrain; off leaves `tuning` out of the spec. */
  tuning: boolean
  /** Trials per method and the objective; the validation fraction has no field and is kept from a duplicated spec (null: the default). */
  tuningSettings: { trials: Num; selectBy: TuningSelectBy; validationFraction: number | null }
}

export const GIVEN = 'sha256:'
export const TRIGGER_POSITIONS: TriggerPosition[] = ['bottom-right', 'bottom-left', 'top-right', 'top-left']
export const CORRUPTION_LABELS: Record<Corruption, string> = {
  poison: 'Poison trigger (high regularity)',
  'interclass-swap': 'Inter-class label swap (medium)',
  'random-swap': 'Random label swap (low)'
}

/** The quickstart: a real audit in about two minutes on two cores. */
export function defaultForm(catalog: Catalog | null): AuditFormState {
  return {
    name: 'quickstart',
    datasetId: catalog?.datasets.find((d) => d.id === 'fashion-mnist')?.id ?? catalog?.datasets[0]?.id ?? 'fashion-mnist',
    trainLimit: 6000,
    testLimit: 1000,
    model: 'cnn-small',
    width: 1,
    epochs: 4,
    batchSize: 128,
    optimizer: 'sgd',
    learningRate: 0.05,
    momentum: 0.9,
    weightDecay: 0,
    schedule: 'cosine',
    augmentCrop: 0,
    augmentFlip: false,
    codesTMix: 0,
    kind: 'random',
    fraction: 0.1,
    classes: [],
    corruption: 'poison',
    corruptedCount: 300,
    discoveryRate: 0.5,
    triggerSize: 3,
    triggerValue: null,
    triggerPosition: 'bottom-right',
    targetClass: 0,
    swapA: 0,
    swapB: 6,
    methods: ['retrain', 'finetune'],
    methodParams: {},
    seeds: '0',
    sweepCorruptions: [],
    sweepRates: '',
    sweepCounts: '',
    sweepFractions: '',
    sweepKept: {},
    privacy: 'off',
    privacyCustom: { ...PRIVACY_TIERS.standard },
    tuning: false,
    tuningSettings: { trials: 8, selectBy: 'auto', validationFraction: null }
  }
}

export type PresetId = 'quickstart' | 'rem-grid' | 'class-forgetting' | 'bring-model'

export const PRESETS: Array<{ id: PresetId; label: string; description: string }> = [
  { id: 'quickstart', label: 'Quickstart', description: 'Fashion-MNIST, 10 % random samples, retrain and finetune: about two minutes.' },
  {
    id: 'rem-grid',
    label: 'REM task-space grid',
    description: 'Corrupted data: poison and random label swaps × discovery rates, REM against retrain, finetune, NPO and Potion.'
  },
  {
    id: 'class-forgetting',
    label: 'Class forgetting',
    description: 'Forget one whole class with retrain, finetune, DEL, UNSIR and Mnemonic codes.'
  },
  { id: 'bring-model', label: 'Bring my model', description: 'Audit a model from the library instead of training one.' }
]

/** A preset's fields: it only fills the form, and starts nothing. */
export function presetForm(id: PresetId, catalog: Catalog | null, models: ModelSummary[]): AuditFormState {
  const base = defaultForm(catalog)
  switch (id) {
    case 'quickstart':
      return base
    case 'rem-grid':
      return {
        ...base,
        name: 'REM task-space grid',
        model: 'cnn-small',
        kind: 'corrupted',
        corruption: 'poison',
        corruptedCount: 300,
        discoveryRate: 0.5,
        sweepCorruptions: ['poison', 'random-swap'],
        sweepRates: '0.1, 0.5, 1',
        methods: ['retrain', 'finetune', 'rem', 'npo', 'potion'],
        seeds: '0, 1'
      }
    case 'class-forgetting':
      return {
        ...base,
        name: 'class forgetting',
        kind: 'class',
        classes: [1],
        codesTMix: 0.1,
        methods: ['retrain', 'finetune', 'del', 'unsir', 'mnemonic']
      }
    case 'bring-model': {
      const model = models.find((m) => m.deletedAt === null && catalog?.datasets.some((d) => d.id === m.datasetId))
      if (!model) return base
      return { ...base, name: `audit of ${model.name}`, datasetId: model.datasetId, model: GIVEN + model.sha256 }
    }
  }
}

/** "0, 1, 2" → [0, 1, 2]; anything that is not a number stays NaN, for the validation to name. */
export const numberList = (text: string): number[] =>
  text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number)

/** An empty field reaches the spec as null: the schema then says a number is expected, as the server would. */
const num = (v: Num): number => v as number

function buildSweep(form: AuditFormState): TaskSpecInput['sweep'] {
  const lists = (values: number[]) => (values.length ? values : undefined)
  const sweep: NonNullable<TaskSpecInput['sweep']> = {}
  if (form.kind === 'corrupted') {
    if (form.sweepCorruptions.length) sweep.corruption = [...form.sweepCorruptions]
    const rates = lists(numberList(form.sweepRates))
    if (rates) sweep.discoveryRate = rates
    const counts = lists(numberList(form.sweepCounts))
    if (counts) sweep.corruptedCount = counts
  }
  if (form.kind === 'random') {
    const fractions = lists(numberList(form.sweepFractions))
    if (fractions) sweep.fraction = fractions
  }
  if (form.kind !== 'corrupted' && form.sweepKept.classes) sweep.classes = form.sweepKept.classes
  const params = Object.fromEntries(Object.entries(form.sweepKept.params ?? {}).filter(([id]) => form.methods.includes(id)))
  if (Object.keys(params).length) sweep.params = params
  return Object.keys(sweep).length ? sweep : undefined
}

function buildTask(form: AuditFormState): TaskSpecInput['task'] {
  if (form.kind === 'class') return { kind: 'class', classes: [...form.classes] }
  if (form.kind === 'random')
    return { kind: 'random', fraction: num(form.fraction), ...(form.classes.length ? { classes: [...form.classes] } : {}) }
  return {
    kind: 'corrupted',
    corruption: form.corruption,
    corruptedCount: num(form.corruptedCount),
    discoveryRate: num(form.discoveryRate),
    trigger: {
      size: num(form.triggerSize),
      position: form.triggerPosition,
      targetClass: form.targetClass,
      ...(form.triggerValue === null ? {} : { value: form.triggerValue })
    },
    swapClasses: [form.swapA, form.swapB]
  }
}

function buildPrivacy(form: AuditFormState): TaskSpecInput['privacy'] {
  if (form.privacy === 'off') return undefined
  if (form.privacy !== 'custom') return { ...PRIVACY_TIERS[form.privacy] }
  const c = form.privacyCustom
  return { referenceModels: num(c.referenceModels), retrains: num(c.retrains), attackSize: num(c.attackSize) }
}

function buildTuning(form: AuditFormState): TaskSpecInput['tuning'] {
  if (!form.tuning) return undefined
  const t = form.tuningSettings
  return {
    trials: num(t.trials),
    selectBy: t.selectBy,
    ...(t.validationFraction === null ? {} : { validationFraction: t.validationFraction })
  }
}

/** Whether tuning as set scores trials by ToW, which measures them against the retrain (so needs it among the methods). */
export function tuningNeedsRetrain(form: AuditFormState): boolean {
  if (!form.tuning) return false
  const selectBy = form.tuningSettings.selectBy
  return selectBy === 'tow' || (selectBy === 'auto' && form.kind !== 'corrupted')
}

/** Adds retrain to the methods when tuning needs it and they lack it; says whether it did. */
export function addRetrainForTuning(form: AuditFormState): boolean {
  if (!tuningNeedsRetrain(form) || form.methods.includes('retrain')) return false
  form.methods = ['retrain', ...form.methods]
  return true
}

/** A library model, or an architecture with its width (left out at 1, as a spec written without one). */
function buildModel(form: AuditFormState): TaskSpecInput['model'] {
  if (form.model.startsWith(GIVEN)) return { sha256: form.model.slice(GIVEN.length) }
  return { arch: form.model as 'mlp', ...(form.width === 1 ? {} : { width: num(form.width) }) }
}

/** The spec the form describes, as typed (the validation says what is wrong with it). */
export function buildSpec(form: AuditFormState): TaskSpecInput {
  const sweep = buildSweep(form)
  const privacy = buildPrivacy(form)
  const tuning = buildTuning(form)
  return {
    name: form.name,
    dataset: { id: form.datasetId, trainLimit: num(form.trainLimit), testLimit: num(form.testLimit) },
    model: buildModel(form),
    train: {
      epochs: num(form.epochs),
      batchSize: num(form.batchSize),
      optimizer: form.optimizer,
      learningRate: num(form.learningRate),
      momentum: num(form.momentum),
      weightDecay: num(form.weightDecay),
      schedule: form.schedule,
      // Left out when off, so the spec (and the cache keys of its models) stay as they were without the setting.
      ...(form.augmentCrop !== 0 || form.augmentFlip ? { augment: { crop: num(form.augmentCrop), flip: form.augmentFlip } } : {}),
      ...(form.codesTMix !== 0 ? { mnemonicCodes: { tMix: num(form.codesTMix) } } : {})
    },
    task: buildTask(form),
    methods: form.methods.map((id) => (form.methodParams[id] ? { id, params: { ...form.methodParams[id] } } : id)),
    seeds: numberList(form.seeds),
    ...(sweep ? { sweep } : {}),
    ...(privacy ? { privacy } : {}),
    ...(tuning ? { tuning } : {})
  }
}

/**
 * The fields of a stored (resolved) spec, for a duplicate. A method's settings are kept, except
 * swept ones (the sweep lists them) and the ones it takes from the training settings while they
 * still match them (they go on following the training settings).
 */
export function formFromSpec(spec: TaskSpec, catalog: Catalog | null): AuditFormState {
  const base = defaultForm(catalog)
  const task = spec.task
  const methodParams: AuditFormState['methodParams'] = {}
  const methods: string[] = []
  for (const m of spec.methods) {
    if (methods.includes(m.id)) continue
    methods.push(m.id)
    const swept = Object.keys(spec.sweep?.params?.[m.id] ?? {})
    const inherited: readonly string[] = isMethodId(m.id) ? METHOD_CATALOG[m.id].inheritsFromTrain : []
    const scaled = isMethodId(m.id) ? scaledFromTrain(m.id) : {}
    const train = spec.train as Record<string, unknown>
    // A setting that still follows the training settings (equal to them, or to their multiple) goes on following them.
    const follows = (k: string, v: unknown) =>
      (inherited.includes(k) && train[k] === v) || (k in scaled && v === Number((scaled[k]! * (train[k] as number)).toPrecision(10)))
    const kept = Object.fromEntries(Object.entries(m.params).filter(([k, v]) => !swept.includes(k) && !follows(k, v)))
    if (Object.keys(kept).length) methodParams[m.id] = kept
  }
  const join = (values: readonly unknown[] | undefined) => (values ?? []).join(', ')
  return {
    ...base,
    name: spec.name,
    datasetId: spec.dataset.id,
    trainLimit: spec.dataset.trainLimit ?? null,
    testLimit: spec.dataset.testLimit ?? null,
    model: 'arch' in spec.model ? spec.model.arch : 'sha256' in spec.model ? GIVEN + spec.model.sha256 : base.model,
    width: ('arch' in spec.model ? spec.model.width : undefined) ?? 1,
    epochs: spec.train.epochs,
    batchSize: spec.train.batchSize,
    optimizer: spec.train.optimizer,
    learningRate: spec.train.learningRate,
    momentum: spec.train.momentum,
    weightDecay: spec.train.weightDecay,
    schedule: spec.train.schedule,
    augmentCrop: spec.train.augment?.crop ?? 0,
    augmentFlip: spec.train.augment?.flip ?? false,
    codesTMix: spec.train.mnemonicCodes?.tMix ?? 0,
    kind: task.kind,
    fraction: task.kind === 'random' ? task.fraction : base.fraction,
    classes: task.kind === 'corrupted' ? [] : [...(task.classes ?? [])],
    ...(task.kind === 'corrupted'
      ? {
          corruption: task.corruption,
          corruptedCount: task.corruptedCount,
          discoveryRate: task.discoveryRate,
          triggerSize: task.trigger.size,
          triggerValue: task.trigger.value ?? null,
          triggerPosition: task.trigger.position,
          targetClass: task.trigger.targetClass,
          swapA: task.swapClasses[0],
          swapB: task.swapClasses[1]
        }
      : {}),
    methods,
    methodParams,
    seeds: spec.seeds.join(', '),
    sweepCorruptions: [...(spec.sweep?.corruption ?? [])],
    sweepRates: join(spec.sweep?.discoveryRate),
    sweepCounts: join(spec.sweep?.corruptedCount),
    sweepFractions: join(spec.sweep?.fraction),
    sweepKept: {
      ...(spec.sweep?.classes ? { classes: spec.sweep.classes } : {}),
      ...(spec.sweep?.params ? { params: spec.sweep.params } : {})
    },
    privacy: spec.privacy ? (tierOf(spec.privacy) ?? 'custom') : 'off',
    privacyCustom: { ...(spec.privacy ?? PRIVACY_TIERS.standard) },
    tuning: Boolean(spec.tuning),
    tuningSettings: spec.tuning ? { ...spec.tuning } : base.tuningSettings
  }
}

/** The steps of the form, and the spec fields each one sets (its problems are marked on it). */
export const STEPS = [
  { n: 1, title: 'Data and model', fields: ['name', 'dataset', 'model'] },
  { n: 2, title: 'What to forget', fields: ['task', 'sweep'] },
  { n: 3, title: 'Methods', fields: ['methods', 'privacy', 'tuning'] },
  { n: 4, title: 'Training and seeds', fields: ['train', 'seeds'] },
  { n: 5, title: 'Review', fields: [] }
] as const
