import { z } from 'zod'
import { MetricValues } from '@shared/metrics/value'
import { PHASES } from '@shared/api/contract'
import { AttackScores, OnnxValidation } from '@shared/api/contract'
import { PrivacySettingsSchema } from '@shared/privacy/settings'
import { JobTaskSchema, MethodRunSchema } from '@shared/task-spec'
import { TuningRecordSchema, TuningSettingsSchema } from '@shared/tuning'

/**
 * Messages between the main process and the engine process. Both sides validate what they
 * receive: the engine runs imported data, and main must survive whatever comes back.
 */

export const JobSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('train-original'),
    resourcesDir: z.string(),
    dataDir: z.string().optional(),
    /** The one concrete task (a sweep cell) the job is about, as parsed from the audit's spec. */
    spec: JobTaskSchema,
    seed: z.number().int(),
    outDir: z.string(),
    /** A given model to fine-tune (with Mnemonic codes mixed in) instead of training from scratch. */
    startDir: z.string().optional()
  }),
  z.object({
    kind: z.literal('unlearn'),
    resourcesDir: z.string(),
    dataDir: z.string().optional(),
    spec: JobTaskSchema,
    seed: z.number().int(),
    /** The method and every one of its settings, resolved from the spec (defaults and swept values filled in). */
    method: MethodRunSchema,
    originalDir: z.string(),
    outDir: z.string(),
    /** An extra retrain of the privacy band: the same task and split, trained from another seed. */
    replica: z.number().int().min(1).optional(),
    /** Tune first: trials on a validation split, then the method runs with the kept trial's settings. */
    tuning: z
      .object({
        settings: TuningSettingsSchema,
        objective: z.enum(['uxh', 'tow']),
        /** The retrain's accuracies on this task, which ToW measures against. */
        retrain: z.object({ forgetAccuracy: z.number(), retainAccuracy: z.number() }).nullable()
      })
      .optional()
  }),
  // Reference model `index` of the membership attacks: the original's recipe on one half of the training pool.
  z.object({
    kind: z.literal('train-reference'),
    resourcesDir: z.string(),
    dataDir: z.string().optional(),
    spec: JobTaskSchema,
    seed: z.number().int(),
    /** What the half and the initialisation derive from: shared by every seed whose training pool is the same. */
    referenceSeed: z.number().int(),
    index: z.number().int().min(0),
    /** The original, whose architecture the reference model takes (fresh weights). */
    originalDir: z.string(),
    outDir: z.string()
  }),
  // Writes a stored model as one ONNX file: the model is read through TensorFlow.js, which only engine processes load.
  z.object({
    kind: z.literal('export-onnx'),
    resourcesDir: z.string(),
    dataDir: z.string().optional(),
    /** The model's dataset, as every job names one (the export itself reads no samples). */
    spec: JobTaskSchema,
    seed: z.number().int(),
    modelDir: z.string(),
    /** The ONNX file to write; it must not exist yet. */
    outFile: z.string(),
    metadata: z.record(z.string(), z.string()),
    outDir: z.string()
  }),
  // The membership attacks of one cell and seed, on every finished model of it at once.
  z.object({
    kind: z.literal('attack'),
    resourcesDir: z.string(),
    dataDir: z.string().optional(),
    spec: JobTaskSchema,
    seed: z.number().int(),
    privacy: PrivacySettingsSchema,
    referenceSeed: z.number().int(),
    references: z.array(z.object({ index: z.number().int().min(0), dir: z.string() })).min(2),
    targets: z.array(z.object({ runId: z.string(), dir: z.string(), retrain: z.boolean(), replica: z.number().int().nullable() })).min(1),
    outDir: z.string()
  }),
  // Measures an existing model (a cached original or retrain) on this job's task, without training.
  z.object({
    kind: z.literal('evaluate'),
    resourcesDir: z.string(),
    dataDir: z.string().optional(),
    spec: JobTaskSchema,
    seed: z.number().int(),
    modelDir: z.string(),
    originalDir: z.string().nullable(),
    outDir: z.string()
  }),
  // Converts an .onnx file into a model folder at outDir, once its outputs match onnxruntime's on test images.
  z.object({
    kind: z.literal('convert-onnx'),
    resourcesDir: z.string(),
    dataDir: z.string().optional(),
    spec: JobTaskSchema,
    seed: z.number().int(),
    onnxPath: z.string(),
    /** Of the bytes main checked: the engine converts exactly those. */
    onnxSha256: z.string(),
    samples: z.number().int().min(1).max(1024),
    outDir: z.string()
  })
])
export type Job = z.infer<typeof JobSchema>

export const JobResultSchema = z.object({
  backend: z.string(),
  tfjsVersion: z.string(),
  backendSkipped: z.array(z.string()),
  seconds: z.number(),
  steps: z.number().int(),
  /** Why the run failed although the job completed (divergence, collapse); its metrics are then partial. */
  failure: z.string().nullable(),
  metrics: MetricValues,
  /** The saved model; null when the run failed. */
  model: z.object({ dir: z.string(), sha256: z.string(), bytes: z.number(), parameterCount: z.number(), arch: z.string() }).nullable(),
  dataset: z.object({ id: z.string(), sha256: z.string(), trainCount: z.number(), testCount: z.number() }),
  /** An export-onnx job's file. */
  exported: z.object({ file: z.string(), sha256: z.string(), bytes: z.number() }).optional(),
  /** A convert-onnx job's check of the converted model against onnxruntime. */
  onnxValidation: OnnxValidation.optional(),
  /** A tuned unlearn job's trials and the one kept. */
  tuning: TuningRecordSchema.optional(),
  /** An attack job's findings, per target run: its privacy metrics and per-example scores. */
  attacks: z.array(z.object({ runId: z.string(), metrics: MetricValues, scores: AttackScores })).optional(),
  /** The engine process after the job, its tensors freed: for soak tests and leak hunting. */
  engineMemory: z
    .object({ rssBytes: z.number(), heapUsedBytes: z.number(), numTensors: z.number().int(), tensorBytes: z.number() })
    .optional(),
  split: z.object({
    forgetCount: z.number(),
    retainCount: z.number(),
    forgetSha256: z.string(),
    forgetIndices: z.array(z.number().int()),
    corruptedIndices: z.array(z.number().int()).nullable(),
    corruptedSha256: z.string().nullable()
  })
})
export type JobResult = z.infer<typeof JobResultSchema>

export { PHASES, type Phase } from '@shared/api/contract'

export const ToEngineSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('run'), id: z.string(), job: JobSchema }),
  z.object({ type: z.literal('cancel'), id: z.string() })
])
export type ToEngine = z.infer<typeof ToEngineSchema>

export const FromEngineSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready'), backend: z.string(), backendSkipped: z.array(z.string()), tfjsVersion: z.string() }),
  z.object({ type: z.literal('progress'), id: z.string(), phase: z.enum(PHASES), fraction: z.number().min(0).max(1), detail: z.string() }),
  z.object({ type: z.literal('done'), id: z.string(), result: JobResultSchema }),
  // `interrupted`: the job was stopped by its surroundings (the disk is full), not by its own method.
  z.object({
    type: z.literal('failed'),
    id: z.string(),
    error: z.string(),
    cancelled: z.boolean(),
    interrupted: z.boolean().default(false)
  })
])
export type FromEngine = z.infer<typeof FromEngineSchema>
