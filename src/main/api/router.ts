import { z } from 'zod'
import { ApiError, CONTRACT, type Envelope, type ErrorCode } from '@shared/api/contract'
import { INVOKE_CHANNELS, type InvokeChannel } from '@shared/api/channels'
import { describeZodError } from '@shared/zod-errors'
import { SpecError } from '@shared/task-spec'
import { ImportError } from '../library/model-bundle'
import type { ApiHandlers } from './handlers'
import { CHECK_OUTPUTS, outputProblem } from './output-check'

function isInvokeChannel(c: unknown): c is InvokeChannel {
  return typeof c === 'string' && (INVOKE_CHANNELS as readonly string[]).includes(c)
}

function codeOf(err: unknown): ErrorCode {
  if (err instanceof ApiError) return err.code
  if (err instanceof SpecError || err instanceof ImportError) return 'VALIDATION'
  return 'INTERNAL'
}

/**
 * Problems in a task spec are named as its author wrote it (`train.epochs`, not `spec.train.epochs`),
 * the same as the headless command and the service say them.
 */
function describeInputError(error: z.ZodError): string {
  const withinSpec = error.issues.every((i) => i.path[0] === 'spec')
  return describeZodError(withinSpec ? new z.ZodError(error.issues.map((i) => ({ ...i, path: i.path.slice(1) }))) : error)
}

/**
 * The one entry point for every call from a renderer, whichever transport carried it: unknown
 * channels are refused, inputs are validated against the contract (and outputs too, in tests and
 * development), and every outcome (including a thrown error) comes back as an envelope.
 */
export function createRouter(handlers: ApiHandlers) {
  return async function dispatch(channel: unknown, raw: unknown): Promise<Envelope<unknown>> {
    if (!isInvokeChannel(channel))
      return { ok: false, error: { code: 'NOT_FOUND', message: `Unknown API channel ${JSON.stringify(channel)?.slice(0, 100)}` } }
    const parsed = CONTRACT[channel].input.safeParse(raw)
    if (!parsed.success) return { ok: false, error: { code: 'VALIDATION', message: describeInputError(parsed.error) } }
    try {
      const handler = handlers[channel] as (input: unknown) => Promise<unknown>
      const value = await handler(parsed.data)
      const problem = CHECK_OUTPUTS ? outputProblem(CONTRACT[channel].output, value) : null
      if (problem) throw new Error(`the result of ${channel} does not fit the contract: ${problem}`)
      return { ok: true, value }
    } catch (err) {
      const code = codeOf(err)
      if (code === 'INTERNAL') process.stderr.write(`api ${channel} failed: ${(err as Error).stack ?? String(err)}\n`)
      return { ok: false, error: { code, message: (err as Error).message || String(err) } }
    }
  }
}
export type Dispatch = ReturnType<typeof createRouter>
