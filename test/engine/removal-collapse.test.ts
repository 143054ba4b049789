import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { accuracy } from '@main/engine/eval/accuracy'
import { isCollapsed } from '@main/engine/eval/health'
import { runMethod } from '@main/engine/methods/registry'
import { toyMethodContext } from '../helpers/toy-task'

// Forgetting a class, a model that guesses scores acc(retain)·(1 − γ) ≈ 0.25·0.8 on the proxy, far above the
// original's ≈ 0.9·(1 − 0.97): without a guard, the epoch that wrecked the model would be the one kept.
describe('forget-set removal never keeps a collapsed model', () => {
  let ctx: Awaited<ReturnType<typeof toyMethodContext>>
  beforeAll(async () => {
    ctx = await toyMethodContext('gradient-ascent', {}, { task: { kind: 'class', classes: [2] } })
  })
  afterAll(() => ctx.dispose())

  it('gradient ascent at a rate that wrecks the model keeps an epoch that still does its job, or the original', async () => {
    const out = await runMethod('gradient-ascent', { learningRate: 5, maxEpochs: 5 }, ctx)
    try {
      const retain = await accuracy(out.model, ctx.train, ctx.split.retain)
      expect(isCollapsed(retain, 4)).toBe(false)
    } finally {
      out.model.dispose()
    }
  })
})
