import { z } from 'zod'
import type { EventChannel, InvokeChannel } from './channels'
import { MetricValues } from '../metrics/value'
import { ResolvedTaskSpecSchema, TaskSpecSchema } from '../task-spec'
import { TuningRecordSchema } from '../tuning'

/** The single API between the renderer and main, over Electron IPC or the loopback WebSocket. */

export const RUN_STATUSES = ['queued', 'running', 'done', 'failed', 'cancelled', 'interrupted'] as const
export const RunStatus = z.enum(RUN_STATUSES)
export type RunStatus = z.infer<typeof RunStatus>

/** What an engine job is doing, as its progress reports say. */
export const PHASES = ['starting', 'loading', 'training', 'unlearning', 'evaluating', 'saving'] as const
export const Phase = z.enum(PHASES)
export type Phase = z.infer<typeof Phase>

const Id = z.string().min(1).max(100)
const Empty = z.object({}).strict()

export const RunRecord = z.object({
  id: z.string(),
  taskId: z.string(),
  method: z.string(),
  params: z.record(z.string(), z.unknown()),
  seed: z.number(),
  /** The sweep cell the run belongs to ('' outside sweeps) and its coordinates (null outside sweeps). */
  cellKey: z.string(),
  cell: z.record(z.string(), z.unknown()).nullable(),
  /**
   * Set on the privacy evidence's own models, which the comparison views leave out: reference model k
   * (method 'reference') or the r-th extra retrain (method 'retrain', r ≥ 1). Null on the audit's runs.
   */
  replica: z.number().int().nullable().default(null),
  status: RunStatus,
  backend: z.string().nullable(),
  /** Why the engine skipped each backend faster than `backend`, one line each (empty in older records). */
  backendSkipped: z.array(z.string()).default([]),
  error: z.string().nullable(),
  steps: z.number().nullable(),
  forgetCount: z.number().nullable(),
  retainCount: z.number().nullable(),
  forgetSha256: z.string().nullable(),
  inputModelSha256: z.string().nullable(),
  outputModelSha256: z.string().nullable(),
  createdAt: z.number(),
  startedAt: z.number().nullable(),
  endedAt: z.number().nullable(),
  metrics: MetricValues
})
export type RunRecord = z.infer<typeof RunRecord>

/** Which shard of which plan an audit runs: its groups are (sweep cell, seed) pairs. */
export const ShardRef = z
  .object({
    planSha256: z.string().regex(/^[0-9a-f]{64}$/),
    index: z.number().int().min(1),
    of: z.number().int().min(1),
    groups: z.array(z.object({ cellKey: z.string(), seed: z.number().int() }).strict()).min(1),
    /** The machine the shard ran on (CPU, cores, OS, memory): a merged report names each shard's. */
    machine: z.string().max(500).optional()
  })
  .strict()
export type ShardRef = z.infer<typeof ShardRef>

export const TaskSummary = z.object({
  id: z.string(),
  name: z.string(),
  /** The spec as validated when the audit was created: methods resolved, defaults filled in. */
  spec: ResolvedTaskSpecSchema,
  specSha256: z.string(),
  datasetId: z.string(),
  datasetSha256: z.string(),
  createdAt: z.number(),
  counts: z.record(z.string(), z.number()),
  /** Whether the audit is executing in this process right now. */
  active: z.boolean().default(false),
  /** What the audit concluded, in a sentence, written when its last run ended (null while it runs or when nothing finished). */
  verdict: z.string().nullable().default(null),
  /** Set when the audit was imported from another copy's bundle: it is shown, never run here. */
  origin: z
    .object({
      bundleSha256: z.string(),
      contentHash: z.string(),
      appVersion: z.string(),
      importedAt: z.number(),
      /** A merge of a sharded audit's results: each shard's bundle, checked (bundleSha256 is then the hash of this list). */
      shards: z
        .array(
          z.object({
            index: z.number().int(),
            bundleSha256: z.string(),
            machine: z.string().nullable().default(null),
            groups: z.array(z.object({ cellKey: z.string(), seed: z.number().int() })).default([])
          })
        )
        .optional()
    })
    .nullable()
    .default(null),
  /** Set when the audit is one shard of a sharded plan (`npm run audit -- run-shard`): it runs only these groups. */
  shard: ShardRef.nullable().default(null)
})
export type TaskSummary = z.infer<typeof TaskSummary>

/** A drop of shard results: the plan's shards present and missing, and the merged audit once none is missing. */
export const ShardsMerge = z.object({
  name: z.string(),
  of: z.number().int(),
  present: z.array(z.number().int()),
  missing: z.array(z.number().int()),
  task: TaskSummary.nullable(),
  alreadyMerged: z.boolean()
})
export type ShardsMerge = z.infer<typeof ShardsMerge>

export const Catalog = z.object({
  datasets: z.array(
    z.object({ id: z.string(), name: z.string(), classNames: z.array(z.string()), trainSize: z.number(), testSize: z.number() })
  ),
  architectures: z.array(z.string()),
  methodGroups: z.array(z.object({ id: z.string(), label: z.string() })),
  methods: z.array(
    z.object({
      id: z.string(),
      label: z.string(),
      description: z.string(),
      needs: z.string(),
      group: z.string(),
      designedFor: z.array(z.string()),
      accepts: z.array(z.string()),
      requiresCodes: z.boolean()
    })
  )
})
export type Catalog = z.infer<typeof Catalog>

export const TaskPreview = z.object({
  inputShape: z.array(z.number()),
  classNames: z.array(z.string()),
  samples: z.array(
    z.object({ index: z.number(), label: z.number(), shownLabel: z.number(), clean: z.array(z.number()), shown: z.array(z.number()) })
  )
})
export type TaskPreview = z.infer<typeof TaskPreview>

export const AuditEstimate = z.object({
  runs: z.number(),
  reusedModels: z.number(),
  seconds: z.number(),
  wallSeconds: z.number(),
  jobs: z.number(),
  measuredRuns: z.number(),
  unmeasured: z.array(z.string()),
  /** What the spec's privacy evidence adds (reference models and extra retrains to train, attacks); null without it. */
  privacy: z.object({ referenceModels: z.number(), extraRetrains: z.number(), seconds: z.number() }).nullable(),
  /** The whole audit priced at each privacy tier (retrain added where the spec lacks it), for choosing one. */
  privacyTiers: z.array(z.object({ tier: z.enum(['cheap', 'standard', 'rigorous']), seconds: z.number(), wallSeconds: z.number() }))
})
export type AuditEstimate = z.infer<typeof AuditEstimate>

const DrillDownGroup = z.object({
  total: z.number(),
  followsCorrupted: z.number(),
  healed: z.number(),
  samples: z.array(
    z.object({
      index: z.number(),
      discovered: z.boolean(),
      cleanLabel: z.number(),
      corruptedLabel: z.number(),
      predicted: z.number(),
      followsCorrupted: z.boolean(),
      pixels: z.array(z.number())
    })
  )
})
/** One attack's scores on the attacked samples, in the order of `AttackScores.members`/`nonMembers`; higher = more likely a member. */
const ScorePair = z.object({ members: z.array(z.number()), nonMembers: z.array(z.number()) })

/**
 * A run's per-example membership scores, for the Privacy tab's ROC curves, histograms and most-exposed samples.
 * `members` are training-split indices (forget samples), `nonMembers` test-split indices.
 */
export const AttackScores = z.object({
  members: z.array(z.number().int()),
  nonMembers: z.array(z.number().int()),
  lira: ScorePair,
  rmia: ScorePair,
  /** Per attacked forget sample, how far (in SDs) the model's output lies from the retrains' Gaussian; null without 2 retrains. */
  ulira: z.array(z.number()).nullable()
})
export type AttackScores = z.infer<typeof AttackScores>

export const PrivacyScores = z.object({
  inputShape: z.array(z.number()),
  classNames: z.array(z.string()),
  runs: z.array(z.object({ runId: z.string(), method: z.string(), replica: z.number().nullable(), scores: AttackScores })),
  /** Why this cell and seed's attacks did not run (a failed attack job, too few reference models); null when they ran or have not yet. */
  failure: z.string().nullable(),
  /** Images (0-255, row-major, as trained) of each run's `exposedPerRun` forget samples with the highest LiRA scores, for the thumbnails. */
  samples: z.array(z.object({ index: z.number().int(), label: z.number().int(), pixels: z.array(z.number()) }))
})
export type PrivacyScores = z.infer<typeof PrivacyScores>

export const DrillDown = z.object({
  inputShape: z.array(z.number()),
  classNames: z.array(z.string()),
  discovered: DrillDownGroup,
  undiscovered: DrillDownGroup
})
export type DrillDown = z.infer<typeof DrillDown>

export const ModelSummary = z.object({
  sha256: z.string(),
  name: z.string(),
  source: z.enum(['trained', 'imported']),
  arch: z.string(),
  /** Relative to the app's data folder. */
  path: z.string(),
  bytes: z.number(),
  parameterCount: z.number(),
  datasetId: z.string(),
  inputShape: z.array(z.number()).nullable(),
  numClasses: z.number().nullable(),
  testAccuracy: z.number().nullable(),
  createdAt: z.number(),
  /** Runs that started from this model or produced it. */
  runs: z.number(),
  /** When it was deleted from the library: its files are gone, its runs' results stay. */
  deletedAt: z.number().nullable(),
  /** sha256 of the Mnemonic codes kept with the model, or null when it has none. */
  codesSha256: z.string().nullable()
})
export type ModelSummary = z.infer<typeof ModelSummary>

/**
 * How a converted model (ONNX) was checked against its original: the engine's outputs and
 * onnxruntime's on the same test images may differ by at most `tolerance` (absolute).
 */
export const OnnxValidation = z.object({
  /** What ran the original, with its version: "onnxruntime-node 1.30.0". */
  runtime: z.string(),
  samples: z.number().int(),
  /** Probabilities for a model that ends in a softmax, logits otherwise. */
  compared: z.enum(['logits', 'probabilities']),
  tolerance: z.number(),
  maxAbsDiff: z.number(),
  /** What the conversion changed beyond layout (a kernel widened with zero taps), one line each. */
  notes: z.array(z.string())
})
export type OnnxValidation = z.infer<typeof OnnxValidation>

export const ModelImport = z.object({
  model: ModelSummary,
  /** The model was in the library already (same sha256): nothing was copied. */
  alreadyImported: z.boolean(),
  /** Set when the measured accuracy is near chance: labels or preprocessing probably differ. */
  warning: z.string().nullable(),
  /** Set for a model converted on import (ONNX): how its outputs were checked against the original's. */
  validation: OnnxValidation.optional()
})
export type ModelImport = z.infer<typeof ModelImport>

export const DatasetSummary = z.object({
  id: z.string(),
  name: z.string(),
  source: z.enum(['builtin', 'imported']),
  sha256: z.string(),
  classNames: z.array(z.string()),
  inputShape: z.array(z.number()),
  trainSize: z.number(),
  testSize: z.number(),
  /** Bytes on disk; null for the built-in datasets. */
  bytes: z.number().nullable(),
  /** How the images were resized, converted and scaled (imported datasets). */
  preprocessing: z.record(z.string(), z.unknown()).nullable(),
  /** Files of the source that were not imported, with the reason. */
  skipped: z.array(z.object({ path: z.string(), reason: z.string() })),
  createdAt: z.number(),
  runs: z.number(),
  deletedAt: z.number().nullable()
})
export type DatasetSummary = z.infer<typeof DatasetSummary>

/** What the auditor chooses when importing a dataset; every field has a default. */
export const DatasetImportOptions = z
  .object({
    name: z.string().trim().min(1).max(80).optional(),
    size: z.tuple([z.number().int().min(4).max(512), z.number().int().min(4).max(512)]).optional(),
    color: z.enum(['grey', 'rgb']).optional(),
    scaling: z.enum(['unit', 'standardize']).optional(),
    testFraction: z.number().min(0.05).max(0.9).optional(),
    /** CIFAR-100's 100 fine classes (the default) or its 20 coarse ones. */
    labels: z.enum(['fine', 'coarse']).optional(),
    skipUnreadable: z.boolean().optional()
  })
  .strict()
export type DatasetImportOptions = z.infer<typeof DatasetImportOptions>

export const DatasetImport = z.object({
  dataset: DatasetSummary,
  alreadyImported: z.boolean(),
  skipped: z.array(z.object({ path: z.string(), reason: z.string() })),
  perClass: z.array(z.object({ train: z.number(), test: z.number() })),
  /** A few training images per class as stored (0-255, row-major), for the summary's grid. */
  samples: z.array(z.object({ label: z.number(), pixels: z.array(z.number()) }))
})
export type DatasetImport = z.infer<typeof DatasetImport>

export const LibraryProgress = z.object({ uploadId: z.string(), step: z.string(), fraction: z.number() })
export type LibraryProgress = z.infer<typeof LibraryProgress>

export const Library = z.object({ models: z.array(ModelSummary), datasets: z.array(DatasetSummary) })
export type Library = z.infer<typeof Library>

// One chunk of a file upload; base64 keeps it one JSON message on either transport.
const UPLOAD_CHUNK_CHARS = 3 * 1024 * 1024
export const UPLOAD_CHUNK_BYTES = (UPLOAD_CHUNK_CHARS / 4) * 3
const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'a sha256 in hex (64 characters)')

/** Set once in the app; printed on every report's cover. */
export const ReportSettings = z
  .object({
    auditorName: z.string().trim().max(120),
    organisation: z.string().trim().max(160),
    pageSize: z.enum(['A4', 'Letter'])
  })
  .strict()
export type ReportSettings = z.infer<typeof ReportSettings>
export const DEFAULT_REPORT_SETTINGS: ReportSettings = { auditorName: '', organisation: '', pageSize: 'A4' }

const WrittenFile = z.object({ path: z.string(), sha256: z.string(), bytes: z.number() })

export const BundleImport = z.object({
  task: TaskSummary,
  /** The audit was here already (same id and content hash): nothing was added. */
  alreadyImported: z.boolean(),
  /** How many of its models came with the bundle (their files are now in the library). */
  modelsIncluded: z.number()
})
export type BundleImport = z.infer<typeof BundleImport>

export const AppInfo = z.object({
  version: z.string(),
  dataDir: z.string(),
  backend: z.string().nullable(),
  /** Why the engine skipped the faster backends, and how to get native speed where it is missing. */
  backendSkipped: z.array(z.string()),
  nativeHint: z.string().nullable()
})
export type AppInfo = z.infer<typeof AppInfo>

export const ProgressEvent = z.object({
  taskId: z.string(),
  runId: z.string(),
  method: z.string(),
  seed: z.number(),
  phase: Phase,
  /** Progress of this run, in [0,1]. */
  fraction: z.number(),
  /** Progress of the whole audit, in [0,1]. */
  auditFraction: z.number(),
  detail: z.string()
})
export type ProgressEvent = z.infer<typeof ProgressEvent>

/** A run's new status, or `finished` for the whole audit (runId null): what the audit service reports. */
export const AuditChange = z.object({ taskId: z.string(), runId: z.string().nullable(), status: z.enum([...RUN_STATUSES, 'finished']) })
export type AuditChange = z.infer<typeof AuditChange>

/**
 * The `audit:changed` event: the change with the records it touched, so a renderer patches its lists
 * instead of reading them again. `run` is the run as `audits:runs` returns it (null when runId is null);
 * `task` is the audit as `audits:list` returns it (its counts and `active` flag move with every change).
 * Main adds both where it forwards the service's change (src/main/api/events.ts).
 */
/** The tuned runs of an audit, each with every trial and the one kept (runs that were not tuned are absent). */
export const TuningTrials = z.object({ runs: z.array(z.object({ runId: z.string(), record: TuningRecordSchema })) })
export type TuningTrials = z.infer<typeof TuningTrials>

export const ChangedEvent = AuditChange.extend({ run: RunRecord.nullable(), task: TaskSummary })
export type ChangedEvent = z.infer<typeof ChangedEvent>

export const CONTRACT = {
  'app:info': { input: Empty, output: AppInfo },
  'catalog:get': { input: Empty, output: Catalog },
  'tasks:preview': { input: z.object({ spec: TaskSpecSchema, count: z.number().int().min(1).max(24) }).strict(), output: TaskPreview },
  'audits:estimate': { input: z.object({ spec: TaskSpecSchema }).strict(), output: AuditEstimate },
  'audits:start': { input: z.object({ spec: TaskSpecSchema }).strict(), output: z.object({ taskId: z.string() }) },
  'audits:cancel': { input: z.object({ taskId: Id }).strict(), output: z.object({ cancelled: z.boolean() }) },
  'audits:pause': { input: z.object({ taskId: Id }).strict(), output: z.object({ paused: z.boolean() }) },
  'audits:resume': { input: z.object({ taskId: Id }).strict(), output: z.object({ pending: z.number() }) },
  // Deletes an audit that is not running: its runs, metrics and splits; the models stay in the library.
  // Runs an audit's failed and cancelled runs again (with its queued ones); finished runs are kept.
  'audits:retryEnded': { input: z.object({ taskId: Id }).strict(), output: z.object({ requeued: z.number() }) },
  'audits:delete': { input: z.object({ taskId: Id }).strict(), output: z.object({ deleted: z.boolean() }) },
  'runs:cancel': { input: z.object({ runId: Id }).strict(), output: z.object({ cancelled: z.boolean() }) },
  'runs:pause': { input: z.object({ runId: Id }).strict(), output: z.object({ paused: z.boolean() }) },
  'audits:list': { input: Empty, output: z.array(TaskSummary) },
  'audits:runs': { input: z.object({ taskId: Id }).strict(), output: z.array(RunRecord) },
  'runs:drillDown': { input: z.object({ runId: Id, perGroup: z.number().int().min(1).max(200) }).strict(), output: DrillDown },
  // The per-example attack scores of every run of one cell and seed, with the attacked forget samples' images.
  'privacy:scores': {
    input: z
      .object({
        taskId: Id,
        cellKey: z.string().max(2000),
        seed: z.number().int(),
        exposedPerRun: z.number().int().min(0).max(50).default(8)
      })
      .strict(),
    output: PrivacyScores
  },
  // Every trial of the audit's tuned runs (spec `tuning`), with the objective and the trial each kept.
  'tuning:trials': { input: z.object({ taskId: Id }).strict(), output: TuningTrials },
  'library:list': { input: Empty, output: Library },
  'uploads:begin': { input: Empty, output: z.object({ uploadId: z.string() }) },
  'uploads:write': {
    input: z
      .object({
        uploadId: Id,
        path: z.string().min(1).max(1000),
        base64: z
          .string()
          .max(UPLOAD_CHUNK_CHARS)
          .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'base64 data'),
        append: z.boolean()
      })
      .strict(),
    output: z.object({ bytes: z.number() })
  },
  'uploads:discard': { input: z.object({ uploadId: Id }).strict(), output: z.object({ discarded: z.boolean() }) },
  'models:import': {
    input: z.object({ uploadId: Id, datasetId: z.string().min(1).max(100), name: z.string().trim().min(1).max(80).optional() }).strict(),
    output: ModelImport
  },
  'datasets:import': { input: z.object({ uploadId: Id, options: DatasetImportOptions }).strict(), output: DatasetImport },
  'models:delete': { input: z.object({ sha256: Sha256 }).strict(), output: ModelSummary },
  // Writes any model of the store (imported, trained, unlearned) as one ONNX file for PyTorch and onnxruntime.
  'models:exportOnnx': { input: z.object({ sha256: Sha256 }).strict(), output: WrittenFile },
  'datasets:delete': { input: z.object({ id: z.string().min(1).max(100) }).strict(), output: DatasetSummary },
  'reports:exportPdf': { input: z.object({ taskId: Id }).strict(), output: WrittenFile },
  // The report as it would be exported, as PDF bytes (base64), for the preview of its pages; nothing is written.
  'reports:preview': {
    input: z.object({ taskId: Id }).strict(),
    output: z.object({ base64: z.string(), pageSize: z.enum(['A4', 'Letter']) })
  },
  'bundles:export': { input: z.object({ taskId: Id, includeModels: z.boolean() }).strict(), output: WrittenFile },
  'bundles:import': { input: z.object({ uploadId: Id }).strict(), output: BundleImport },
  // The results of a sharded audit's shards (run-shard folders): merged once all are here, else which are missing.
  'shards:merge': { input: z.object({ uploadId: Id }).strict(), output: ShardsMerge },
  'settings:get': { input: Empty, output: ReportSettings },
  'settings:set': { input: ReportSettings.partial().strict(), output: ReportSettings }
} satisfies Record<InvokeChannel, { input: z.ZodType; output: z.ZodType }>

export const EVENTS = {
  'audit:progress': ProgressEvent,
  'audit:changed': ChangedEvent,
  'library:progress': LibraryProgress
} satisfies Record<EventChannel, z.ZodType>

export type ApiInput<C extends InvokeChannel> = z.input<(typeof CONTRACT)[C]['input']>
export type ApiOutput<C extends InvokeChannel> = z.output<(typeof CONTRACT)[C]['output']>
export type EventPayload<E extends EventChannel> = z.output<(typeof EVENTS)[E]>

/** Every reply is an envelope: Electron keeps only the message of a thrown error. */
export type Envelope<T> = { ok: true; value: T } | { ok: false; error: { code: ErrorCode; message: string } }
export type ErrorCode = 'VALIDATION' | 'NOT_FOUND' | 'FORBIDDEN' | 'CONFLICT' | 'INTERNAL'

export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string
  ) {
    super(message)
    this.name = 'ApiError'
  }
}
