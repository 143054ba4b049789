import { z } from 'zod'

/** Of a model on its task (engine/eval/metrics.ts). */
export const MODEL_METRICS = [
  'testAccuracy',
  'retainAccuracy',
  'forgetAccuracy',
  'perClassTestAccuracy',
  'testConfusion',
  'miaEfficacy',
  'miaAuc',
  'paramsChanged',
  'corruptedPredictions',
  'healedTrain',
  'healedDiscovered',
  'healedUndiscovered',
  'followsCorruptedDiscovered',
  'followsCorruptedUndiscovered',
  'healedTest',
  'attackSuccessRate',
  'targetClassAccuracy',
  'utility',
  'utilityTimesHealed'
] as const

/**
 * Per-example membership attacks (audit privacy settings): LiRA and RMIA offline against the forget
 * set, U-LiRA against the retrains, and the U-LiRA self-test of a held-out retrain (engine/eval/attack-models.ts).
 */
export const PRIVACY_METRICS = [
  'liraAuc',
  'liraTprAt1Fpr',
  'liraTprAt01Fpr',
  'rmiaAuc',
  'rmiaTprAt1Fpr',
  'ulira',
  'uliraSelfTest',
  'attackReferenceModels',
  'attackSamples'
] as const
export type PrivacyMetric = (typeof PRIVACY_METRICS)[number]

/** A privacy metric's 95 % bootstrap interval, [low, high], stored beside it: `ci95.liraAuc`. */
export const INTERVAL_PREFIX = 'ci95.'
export type IntervalMetric = `${typeof INTERVAL_PREFIX}${PrivacyMetric}`
export const intervalKey = (metric: PrivacyMetric): IntervalMetric => `${INTERVAL_PREFIX}${metric}`

/**
 * Of a run: what it cost and how it went. A tuned run's `seconds` are its final run's, so methods
 * compare at their own cost; its trials took `tuningSeconds` more, over `tuningTrials` trials.
 */
export const RUN_METRICS = ['seconds', 'reusedModel', 'divergedAtStep', 'tuningSeconds', 'tuningTrials'] as const

/** Against the retrain of the same cell and seed (audit/retrain-comparison.ts). */
export const RETRAIN_METRICS = ['tow', 'gapToRetrain', 'deltaToRetrain'] as const

/** What one method reports about what it did. */
export const METHOD_METRICS = [
  'resetFraction',
  'maskFraction',
  'mnemonicSign',
  'mnemonicCodeScore',
  'bestEpoch',
  'removalThreshold',
  'trainedParameterFraction',
  'remForgetAccuracyDrop',
  'remForgetAccuracyMask',
  'remProxy',
  'remFlushEpochs',
  'remBestRound',
  /** 1 when no round beat the original's proxy: REM then returned its `fallback` (the last round, as the official code does, or the original). */
  'remFallback',
  'dampenedFraction',
  'noiseSamples',
  'retainSubset',
  'potionTries'
] as const

/** DEL's reset counts: one metric per layer, named after the layer (`resetElements.dense_1/kernel`). */
export const PER_LAYER_PREFIX = 'resetElements.'
export type PerLayerMetric = `${typeof PER_LAYER_PREFIX}${string}`

export const METRIC_NAMES = [...MODEL_METRICS, ...PRIVACY_METRICS, ...RUN_METRICS, ...RETRAIN_METRICS, ...METHOD_METRICS] as const
export type MetricName = (typeof METRIC_NAMES)[number] | PerLayerMetric | IntervalMetric
export type MethodMetric = (typeof METHOD_METRICS)[number] | PerLayerMetric

/** Every name a metric may have: a new metric is declared here before anything may record it. */
export const MetricNameSchema = z.union([
  z.enum(METRIC_NAMES),
  z.enum(PRIVACY_METRICS.map(intervalKey) as [IntervalMetric, ...IntervalMetric[]]),
  z
    .string()
    .startsWith(PER_LAYER_PREFIX)
    .min(PER_LAYER_PREFIX.length + 1)
])
