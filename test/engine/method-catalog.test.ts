import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { selectBackend } from '@main/engine/backend/select'
import { defineMethod, parseMethodParams } from '@main/engine/methods/define'
import { METHODS, runMethod } from '@main/engine/methods/registry'
import { ssd } from '@main/engine/methods/ssd'
import { formatNumber, formatPercent, METHOD_CATALOG, METHOD_IDS, type MethodId } from '@shared/methods'
import { parseTaskSpec } from '@shared/task-spec'
import { mobileGraph } from '../helpers/mobile-graph'
import { toyMethodContext, weightValues } from '../helpers/toy-task'

const defaults = (id: MethodId): Record<string, unknown> => METHOD_CATALOG[id].params.parse({})

/**
 * Every number a description mentions: where it appears (the pattern's group is the number as
 * printed), the setting it comes from, and how the printed number reads back as that setting.
 */
const MENTIONS: Partial<Record<MethodId, Array<{ pattern: RegExp; setting: string; value: (printed: string) => number }>>> = {
  del: [{ pattern: /top (\S+) %/, setting: 'budget', value: (s) => Number(s) / 100 }],
  'neggrad-plus': [
    { pattern: /(\S+)·CE\(retain\)/, setting: 'retainWeight', value: Number },
    { pattern: /(\S+)·CE\(forget\)/, setting: 'retainWeight', value: (s) => 1 - Number(s) }
  ],
  'l1-sparse': [{ pattern: /decays linearly from (\S+),/, setting: 'alpha', value: Number }],
  salun: [{ pattern: /salient (half|\S+ %)/, setting: 'saliency', value: (s) => (s === 'half' ? 0.5 : Number(s.replace(' %', '')) / 100) }]
}

/** Numbers that belong to a formula, not to a setting (SSD's min(1, …)). */
const FORMULA_CONSTANTS: Partial<Record<MethodId, string[]>> = { ssd: ['1'] }

/** Standalone numbers in a text (not the 1 of ℓ1 or the digits inside a word). */
const numbersIn = (text: string): string[] => text.match(/(?<![\p{L}\p{N}_.])\d+(?:\.\d+)?(?:e-?\d+)?(?![\p{L}\p{N}_])/gu) ?? []

describe('method descriptions', () => {
  it.each(Object.entries(MENTIONS))('%s: each number the description mentions is the default of its setting', (id, mentions) => {
    const description = METHOD_CATALOG[id as MethodId].description
    for (const m of mentions) {
      const printed = m.pattern.exec(description)?.[1]
      expect(printed, `${id}: ${m.pattern}`).toBeDefined()
      expect(m.value(printed!)).toBeCloseTo(defaults(id as MethodId)[m.setting] as number, 12)
    }
  })

  it.each(METHOD_IDS)('%s: mentions no number that is not read from a default', (id) => {
    const description = METHOD_CATALOG[id].description
    const accounted = new Set([
      ...(MENTIONS[id] ?? []).flatMap((m) => numbersIn(m.pattern.exec(description)?.[1] ?? '')),
      ...(FORMULA_CONSTANTS[id] ?? [])
    ])
    expect(numbersIn(description).filter((n) => !accounted.has(n))).toEqual([])
  })

  it('are templates of the settings: other defaults give other text', () => {
    const { del, salun, 'neggrad-plus': negGrad, 'l1-sparse': l1 } = METHOD_CATALOG
    expect(del.describe(del.params.parse({}))).toBe(del.description)
    expect(del.describe(del.params.parse({ budget: 0.25 }))).toContain('top 25 % of parameters')
    expect(salun.describe(salun.params.parse({ saliency: 0.2 }))).toContain('salient 20 % of the weights')
    expect(negGrad.describe(negGrad.params.parse({ retainWeight: 0.9 }))).toContain('0.9·CE(retain) − 0.1·CE(forget)')
    expect(l1.describe(l1.params.parse({ alpha: 1e-4 }))).toContain('from 1e-4,')
  })

  it('print numbers without float noise', () => {
    expect(formatPercent(0.3)).toBe('30 %')
    expect(formatNumber(1 - 0.99)).toBe('0.01')
    expect(formatNumber(7e-5)).toBe('7e-5')
    expect(formatNumber(0.015)).toBe('0.015')
  })
})

describe('defineMethod and runMethod', () => {
  beforeAll(async () => {
    await selectBackend()
  })
  const cleanups: Array<() => void> = []
  afterEach(() => cleanups.splice(0).forEach((f) => f()))

  it('registers every catalog method under its own id', () => {
    expect(Object.keys(METHODS).sort()).toEqual([...METHOD_IDS].sort())
    for (const id of METHOD_IDS) expect(METHODS[id].id).toBe(id)
  })

  it('accepts the settings a task spec resolves for every method, task-inherited ones included', () => {
    for (const id of METHOD_IDS) {
      const spec = parseTaskSpec({
        name: 't',
        dataset: { id: 'toy' },
        model: { arch: 'mlp' },
        train: { epochs: 3, batchSize: 32, learningRate: 0.05, mnemonicCodes: { tMix: 0.1 } },
        task: { kind: 'class', classes: [0] },
        methods: [id]
      })
      const params = parseMethodParams(id, spec.methods[0]!.params)
      for (const key of METHOD_CATALOG[id].inheritsFromTrain) expect(params).toHaveProperty(key, spec.train[key])
    }
  })

  it('refuses a bad setting with an error naming the method and the setting', async () => {
    const ctx = await toyMethodContext('del')
    cleanups.push(ctx.dispose)
    await expect(runMethod('del', { budget: 2 }, ctx)).rejects.toThrow(
      /DEL \(Deletion by Example Localization\) \(method "del"\) has an invalid setting: budget: /
    )
    await expect(runMethod('ssd', { alhpa: 2 }, ctx)).rejects.toThrow(/method "ssd".*alhpa/)
  })

  it('runs a method on settings parsed with their defaults filled in', async () => {
    const ctx = await toyMethodContext('ssd', { alpha: 2 })
    cleanups.push(ctx.dispose)
    const viaRegistry = await runMethod('ssd', { alpha: 2 }, ctx)
    const direct = await ssd(ctx)
    cleanups.push(
      () => viaRegistry.model.dispose(),
      () => direct.model.dispose()
    )
    expect(weightValues(viaRegistry.model)).toEqual(weightValues(direct.model))
    let seen: unknown = null
    const probe = defineMethod('ssd', async (c) => {
      seen = c.params
      return direct
    })
    await probe({ ...ctx, params: { alpha: 2 } })
    expect(seen).toEqual({ alpha: 2, lambda: 1 })
  })
})

// Models imported from ONNX may hold depthwise convs, zero padding, ReLU6, LeakyReLU, products and
// concatenations: every method runs on them, or refuses them naming the layer (REM, at a concatenation).
describe('every method on a model with the layers of the ONNX list', () => {
  const cleanups: Array<() => void> = []
  afterEach(() => cleanups.splice(0).forEach((f) => f()))
  // Mnemonic needs an original trained with its codes, which the toy context does not make.
  it.each(METHOD_IDS.filter((id) => id !== 'mnemonic'))(
    '%s runs, or refuses naming the layer',
    async (id) => {
      const ctx = await toyMethodContext(
        id,
        {},
        {
          graph: (shape, classes) => mobileGraph(shape, classes),
          ...(id === 'unsir' ? { task: { kind: 'class' as const, classes: [1] } } : {})
        }
      )
      cleanups.push(ctx.dispose)
      const run = runMethod(id, quick(id), ctx)
      if (id === 'rem') {
        await expect(run).rejects.toThrow(/Layer "joined" \(Concatenate\) joins widened branches/)
        return
      }
      const outcome = await run
      cleanups.push(() => outcome.model.dispose())
      expect(outcome.model.graph.nodes).toEqual(ctx.original.graph.nodes)
      for (const w of weightValues(outcome.model)) expect(w.every(Number.isFinite)).toBe(true)
    },
    120_000
  )
})

describe('REM on the same layers without the concatenation', () => {
  it('widens through depthwise convs, padding and products, and gives back the original architecture', async () => {
    const ctx = await toyMethodContext('rem', {}, { graph: (shape, classes) => mobileGraph(shape, classes, false) })
    try {
      const outcome = await runMethod('rem', quick('rem'), ctx)
      expect(outcome.model.graph.nodes).toEqual(ctx.original.graph.nodes)
      expect(outcome.model.parameterCount()).toBe(ctx.original.parameterCount())
      for (const w of weightValues(outcome.model)) expect(w.every(Number.isFinite)).toBe(true)
      outcome.model.dispose()
    } finally {
      ctx.dispose()
    }
  }, 120_000)
})

/** One epoch (where a method has the setting) keeps the sweep short. */
function quick(id: MethodId): Record<string, unknown> {
  const settings = Object.keys(defaults(id))
  return Object.fromEntries(['epochs', 'rounds'].filter((k) => settings.includes(k)).map((k) => [k, 1]))
}
