import type { z } from 'zod'
import { describeZodError } from '@shared/zod-errors'

/**
 * Outputs and events are checked against the contract where a mismatch must surface (tests, development
 * and UNLEARN_CHECK_OUTPUTS=1), not in the packaged app, where parsing 10,000 runs on every list would
 * cost more than the list itself. Inputs are always checked, in the router.
 */
export const CHECK_OUTPUTS =
  process.env.UNLEARN_CHECK_OUTPUTS === '1' || process.env.VITEST !== undefined || process.env.NODE_ENV === 'development'

/** Null when `value` fits `schema`, else a message naming what is wrong. */
export function outputProblem(schema: z.ZodType, value: unknown): string | null {
  const parsed = schema.safeParse(value)
  return parsed.success ? null : describeZodError(parsed.error)
}
