import { z } from 'zod'
import { MetricNameSchema, type MetricName } from './names'

/**
 * One metric's value, everywhere it travels (engine result, store, API, bundles): a number, null where
 * it does not apply, a per-class or per-sample array, or named counts.
 */
export const MetricValue = z.union([z.number(), z.null(), z.array(z.number().nullable()), z.record(z.string(), z.number())])
export type MetricValue = z.infer<typeof MetricValue>

/** A run's metrics by name; only declared names (./names.ts) are accepted. */
export const MetricValues = z.record(MetricNameSchema, MetricValue)
export type Metrics = Partial<Record<MetricName, MetricValue>>
