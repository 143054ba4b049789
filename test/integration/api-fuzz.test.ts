import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { createApiHandlers } from '@main/api/handlers'
import { createRouter } from '@main/api/router'
import { INVOKE_CHANNELS } from '@shared/api/channels'
import { CONTRACT } from '@shared/api/contract'
import { useAuditServices } from '../helpers/audit-services'

const services = useAuditServices('fuzz')
const dispatch = createRouter(createApiHandlers(services))

// Values that break naive handlers: wrong types, NaN and infinities, huge and negative numbers,
// empty and very long strings, path tricks, prototype keys, nested junk.
const weird = fc.oneof(
  fc.string({ maxLength: 300 }),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    'x'.repeat(100_000),
    '../../../etc/passwd',
    '/etc/passwd',
    '__proto__',
    'constructor',
    'sha256:' + 'f'.repeat(64),
    'f'.repeat(64),
    'A4',
    'Letter',
    'fashion-mnist'
  ),
  fc.double(),
  fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, 1e308, -1, 0, 1, 2 ** 53, 24, 200, 201),
  fc.integer(),
  fc.boolean(),
  fc.constantFrom(null, undefined),
  fc.array(fc.anything({ maxDepth: 2 }), { maxLength: 5 }),
  fc.object({ maxDepth: 2 })
)

/** An input shaped like the channel's: its own keys with weird values, sometimes one unknown key more. */
function shapedInput(channel: (typeof INVOKE_CHANNELS)[number]) {
  const schema = CONTRACT[channel].input as z.ZodType
  const keys = schema instanceof z.ZodObject ? Object.keys(schema.shape) : []
  const fields = fc.record(Object.fromEntries(keys.map((k) => [k, weird])), { requiredKeys: [] })
  return fc
    .tuple(fields, fc.option(fc.tuple(fc.string({ minLength: 1, maxLength: 20 }), weird), { nil: undefined }))
    .map(([f, extra]) => (extra ? { ...f, [extra[0]]: extra[1] } : f))
}

const RUNS_PER_CHANNEL = 150
let fuzzed = 0

async function expectTypedRefusalOrSuccess(channel: string, input: unknown): Promise<void> {
  fuzzed++
  const reply = await dispatch(channel, input)
  if (!reply.ok) {
    // A refusal names what was wrong; an INTERNAL error would mean a handler threw on input the contract let through.
    expect(
      ['VALIDATION', 'NOT_FOUND', 'CONFLICT', 'FORBIDDEN'],
      `${channel} ${JSON.stringify(input)?.slice(0, 200)}: ${reply.error.message}`
    ).toContain(reply.error.code)
    expect(reply.error.message.length).toBeGreaterThan(0)
  }
}

describe('every API method under random and boundary inputs', () => {
  for (const channel of INVOKE_CHANNELS) {
    it(`${channel}: a typed refusal or a valid answer, never an internal error`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.oneof(shapedInput(channel), fc.anything({ maxDepth: 3 })), (input) =>
          expectTypedRefusalOrSuccess(channel, input)
        ),
        { numRuns: RUNS_PER_CHANNEL, seed: 20261123 }
      )
    })
  }

  it('refuses unknown channels, and keeps serving after all of it', async () => {
    await fc.assert(
      fc.asyncProperty(fc.anything({ maxDepth: 1 }), async (channel) => {
        fuzzed++
        const reply = await dispatch(channel, {})
        if (!(INVOKE_CHANNELS as readonly unknown[]).includes(channel))
          expect(reply).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } })
      }),
      { numRuns: 200, seed: 20261123 }
    )
    expect(await dispatch('app:info', {})).toMatchObject({ ok: true, value: { version: services.appVersion } })
    expect(await dispatch('audits:list', {})).toMatchObject({ ok: true })
    // Nothing the fuzzing sent started an audit or added to the library.
    expect(services.store.tasks.list()).toEqual([])
    expect(services.store.models.listLibrary()).toEqual([])
    process.stdout.write(`api fuzz: ${fuzzed} inputs over ${INVOKE_CHANNELS.length} channels\n`)
  })
})
