import { describe, expect, it } from 'vitest'
import { CONTRACT, EVENTS } from '@shared/api/contract'
import { EVENT_CHANNELS, INVOKE_CHANNELS } from '@shared/api/channels'
import { createRouter } from '@main/api/router'
import type { ApiHandlers } from '@main/api/handlers'
import { SpecError } from '@shared/task-spec'

describe('API contract', () => {
  it('the preload allowlist is exactly the contract', () => {
    expect([...INVOKE_CHANNELS].sort()).toEqual(Object.keys(CONTRACT).sort())
    expect([...EVENT_CHANNELS].sort()).toEqual(Object.keys(EVENTS).sort())
  })

  const calls: string[] = []
  const handlers = Object.fromEntries(
    INVOKE_CHANNELS.map((c) => [
      c,
      async (input: any) => {
        calls.push(c)
        if (c === 'audits:start') throw new SpecError('train.epochs: too small')
        if (c === 'audits:list') throw new Error('disk on fire')
        return c === 'audits:cancel' ? { cancelled: input.taskId === 'x' } : {}
      }
    ])
  ) as unknown as ApiHandlers
  const dispatch = createRouter(handlers)

  it('refuses unknown channels and invalid input before any handler runs', async () => {
    calls.length = 0
    expect(await dispatch('fs:readFile', { path: '/etc/passwd' })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } })
    expect(await dispatch('audits:cancel', { taskId: 5 })).toMatchObject({
      ok: false,
      error: { code: 'VALIDATION', message: expect.stringMatching(/^taskId: /) }
    })
    expect(await dispatch('audits:cancel', { taskId: 'x', extra: true })).toMatchObject({ ok: false, error: { code: 'VALIDATION' } })
    expect(await dispatch('audits:cancel', null)).toMatchObject({ ok: false, error: { code: 'VALIDATION' } })
    expect(calls).toEqual([])
  })

  it('routes valid calls and turns thrown errors into typed envelopes', async () => {
    expect(await dispatch('audits:cancel', { taskId: 'x' })).toEqual({ ok: true, value: { cancelled: true } })
    // A spec that fits the contract's shape reaches the handler, whose SpecError comes back as a validation error.
    const spec = {
      name: 'n',
      dataset: { id: 'd' },
      model: { arch: 'mlp' },
      train: { epochs: 1, learningRate: 0.1 },
      task: { kind: 'class', classes: [0] },
      methods: ['finetune']
    }
    expect(await dispatch('audits:start', { spec })).toEqual({
      ok: false,
      error: { code: 'VALIDATION', message: 'train.epochs: too small' }
    })
    // One that does not is refused by the router, its fields named as in the spec itself.
    expect(await dispatch('audits:start', { spec: { ...spec, seeds: [-1] } })).toEqual({
      ok: false,
      error: { code: 'VALIDATION', message: 'seeds[0]: Too small: expected number to be >=0' }
    })
    expect(await dispatch('audits:list', {})).toEqual({ ok: false, error: { code: 'INTERNAL', message: 'disk on fire' } })
  })

  it('in tests, a result that does not fit the contract is an internal error naming the field', async () => {
    const broken = createRouter({ ...handlers, 'settings:get': async () => ({ auditorName: 7 }) } as unknown as ApiHandlers)
    const reply = await broken('settings:get', {})
    expect(reply).toMatchObject({
      ok: false,
      error: { code: 'INTERNAL', message: expect.stringMatching(/^the result of settings:get does not fit the contract: .*auditorName/) }
    })
  })
})
