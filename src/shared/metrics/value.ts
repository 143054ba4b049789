import { z } from 'zod'

/**
 * One metric's value, everywhere it travels (engine result, store, API, bundles): a number, null where
 * it does not apply, a per-class or per-sample array, or named counts.
 */
export const MetricValue = z.union([z.number(), z.null(), z.array(z.number().nullable()), z.record(z.string(), z.number())])
export type MetricValue = z.infer<typeof MetricValue>

export const MetricValues = z.record(z.string(), MetricValue)
