import { z } from 'zod'
import { TuningRecordSchema } from '@shared/tuning'
import { AttackScores, DatasetSummary, ModelSummary, RunRecord, TaskSummary } from '@shared/api/contract'

/**
 * An audit bundle: one zip another copy of the app can import to show the same results. Its
 * bundle.json lists every other file with its sha256, and the content hash of the audit's
 * manifest, which the importing copy recomputes from audit.json before it stores anything.
 */

export const BUNDLE_MANIFEST = 'bundle.json'
export const BUNDLE_FORMAT = 'unlearning-audit-bundle'
export const BUNDLE_SUFFIX = '.audit-bundle.zip'

/** The files a bundle always holds, besides bundle.json; models go under models/<sha256>/. */
export const BUNDLE_FILES = {
  audit: 'audit.json',
  report: 'report.pdf',
  spec: 'spec.json',
  metricsJson: 'metrics.json',
  metricsCsv: 'metrics.csv',
  manifest: 'manifest.json'
} as const
export const MODELS_DIR = 'models'

const Sha256 = z.string().regex(/^[0-9a-f]{64}$/)

export const BundleManifest = z.object({
  format: z.literal(BUNDLE_FORMAT),
  version: z.literal(1),
  appVersion: z.string(),
  createdAt: z.string(),
  contentHash: Sha256,
  files: z.array(z.object({ path: z.string().min(1).max(300), sha256: Sha256, bytes: z.number().int().nonnegative() }))
})
export type BundleManifest = z.infer<typeof BundleManifest>

/** What the importing copy stores: the task, every run with its metrics, the index lists, the models' records. */
export const BundleAudit = z.object({
  task: TaskSummary,
  runs: z.array(RunRecord),
  splits: z.array(
    z.object({
      cellKey: z.string(),
      seed: z.number().int(),
      kind: z.enum(['forget', 'corrupted']),
      count: z.number().int().nonnegative(),
      sha256: Sha256,
      indices: z.array(z.number().int().nonnegative())
    })
  ),
  dataset: DatasetSummary.nullable(),
  // Bundles written before the store recorded codes have no codesSha256.
  models: z.array(
    ModelSummary.omit({ path: true, runs: true, deletedAt: true }).extend({ codesSha256: z.string().nullable().default(null) })
  ),
  /** Per run id, the per-example membership scores of the privacy evidence (none in older bundles). */
  attackScores: z.record(z.string(), AttackScores).default({}),
  /** Per run id, a tuned run's trials (none in older bundles). */
  tuningTrials: z.record(z.string(), TuningRecordSchema).default({})
})
export type BundleAudit = z.infer<typeof BundleAudit>
