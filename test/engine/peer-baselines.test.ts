import * as tf from '@tensorflow/tfjs'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { selectBackend } from '@main/engine/backend/select'
import { parameterImportance, SQUARED_LOSS_GRADIENT } from '@main/engine/methods/importance'
import { lastLayerWeightNames, cfK, euK } from '@main/engine/methods/last-layers'
import { localize, topFractionMask } from '@main/engine/methods/localization'
import { salun } from '@main/engine/methods/salun'
import { ssd } from '@main/engine/methods/ssd'
import { badTeacher } from '@main/engine/methods/bad-teacher'
import { FunctionalModel } from '@main/engine/model/functional-model'
import { gatherBatch } from '@main/engine/train/tensor-data'
import { hashSeed } from '@main/engine/util/random'
import { isTrainableWeight } from '@main/engine/model/graph'
import { distillationKl } from '@main/engine/train/loss'
import { toyMethodContext, weightValues } from '../helpers/toy-task'

beforeAll(async () => {
  await selectBackend()
})

const cleanups: Array<() => void> = []
afterEach(() => cleanups.splice(0).forEach((f) => f()))

async function context(method: string, params: Record<string, unknown> = {}) {
  const ctx = await toyMethodContext(method, params)
  cleanups.push(ctx.dispose)
  return ctx
}

describe('distillation KL', () => {
  it('matches Σ p_t·log(p_t/p_s) at temperature T, averaged over the batch', () => {
    const t = [
      [1, 0, -1],
      [0.5, 0.5, 2]
    ]
    const s = [
      [0, 0, 0],
      [2, -1, 0]
    ]
    const softmax = (z: number[], T: number) => {
      const e = z.map((v) => Math.exp(v / T))
      const sum = e.reduce((a, b) => a + b, 0)
      return e.map((v) => v / sum)
    }
    for (const T of [1, 4]) {
      const expected = t.map((row, i) => {
        const pt = softmax(row, T)
        const ps = softmax(s[i]!, T)
        return pt.reduce((a, p, k) => a + p * Math.log(p / ps[k]!), 0)
      })
      const value = tf.tidy(() => distillationKl(tf.tensor2d(t), tf.tensor2d(s), T).dataSync()[0]!)
      expect(value).toBeCloseTo((expected[0]! + expected[1]!) / 2, 5)
    }
  })
})

describe('Bad Teacher', () => {
  it('moves the forget outputs toward the incompetent teacher and keeps the retain outputs with the original', async () => {
    const ctx = await context('bad-teacher', { epochs: 5, learningRate: 1e-3 })
    const incompetent = FunctionalModel.initialize(ctx.original.graph, hashSeed(0, 'bad-teacher'))
    cleanups.push(() => incompetent.dispose())
    const kl = (teacher: FunctionalModel, student: FunctionalModel, ids: Int32Array) =>
      tf.tidy(() => {
        const { x } = gatherBatch(ctx.train, ids)
        return distillationKl(teacher.forward(x), student.forward(x)).dataSync()[0]!
      })
    const outcome = await badTeacher(ctx)
    cleanups.push(() => outcome.model.dispose())
    expect(kl(incompetent, outcome.model, ctx.split.forget)).toBeLessThan(0.5 * kl(incompetent, ctx.original, ctx.split.forget))
    // Retain outputs stay an order of magnitude closer to the original than to the incompetent teacher.
    expect(kl(ctx.original, outcome.model, ctx.split.retain)).toBeLessThan(0.1 * kl(incompetent, outcome.model, ctx.split.retain))
  })
})

describe('SSD', () => {
  it('changes exactly the parameters with imp_f > α·imp_D, each by min(1, λ·imp_D/imp_f)', async () => {
    const ctx = await context('ssd', { alpha: 2, lambda: 1 })
    const all = Int32Array.from({ length: ctx.train.count }, (_, i) => i)
    const impF = await parameterImportance(ctx.original, ctx.train, ctx.split.forget, 32, SQUARED_LOSS_GRADIENT)
    const impD = await parameterImportance(ctx.original, ctx.train, all, 32, SQUARED_LOSS_GRADIENT)
    const outcome = await ssd(ctx)
    cleanups.push(() => outcome.model.dispose())
    const before = weightValues(ctx.original)
    const after = weightValues(outcome.model)
    let selected = 0
    before.forEach((w, i) => {
      for (let j = 0; j < w.length; j++) {
        if (impF[i]![j]! > 2 * impD[i]![j]!) {
          selected++
          expect(after[i]![j]).toBeCloseTo(w[j]! * Math.min(1, impD[i]![j]! / impF[i]![j]!), 5)
        } else expect(after[i]![j]).toBe(w[j])
      }
    })
    expect(selected).toBeGreaterThan(0)
    expect(outcome.extraMetrics!.dampenedFraction).toBeGreaterThan(0)
  })
})

describe('SalUn', () => {
  it('trains only the salient half of the weights', async () => {
    const ctx = await context('salun', { epochs: 2 })
    const masks = topFractionMask(await localize('salun', ctx.original, ctx.train, ctx.split.forget, 32, 0), 0.5)
    const outcome = await salun(ctx)
    cleanups.push(() => outcome.model.dispose())
    const before = weightValues(ctx.original)
    const after = weightValues(outcome.model)
    let moved = 0
    before.forEach((w, i) => {
      for (let j = 0; j < w.length; j++) {
        if (masks[i]![j]) moved += after[i]![j] !== w[j] ? 1 : 0
        else expect(after[i]![j]).toBe(w[j])
      }
    })
    expect(moved).toBeGreaterThan(0)
    expect(outcome.extraMetrics!.maskFraction).toBeCloseTo(0.5, 2)
  })
})

describe('CF-k and EU-k', () => {
  it('move only the last k layers; EU-k starts them from fresh values', async () => {
    for (const [method, run] of [
      ['cf-k', cfK],
      ['eu-k', euK]
    ] as const) {
      const ctx = await context(method, { layers: 1, epochs: 1 })
      const outcome = await run(ctx)
      cleanups.push(() => outcome.model.dispose())
      const last = new Set(lastLayerWeightNames(ctx.original, 1))
      expect([...last]).toEqual(['logits/kernel', 'logits/bias'])
      const names = ctx.original.orderedWeightNames().filter(isTrainableWeight)
      const before = weightValues(ctx.original)
      const after = weightValues(outcome.model)
      names.forEach((name, i) => {
        const changed = after[i]!.some((v, j) => v !== before[i]![j])
        if (!last.has(name)) expect(changed, `${method} ${name}`).toBe(false)
        else if (name.endsWith('kernel')) expect(changed, `${method} ${name}`).toBe(true)
      })
      // EU-k's head bears no trace of the original: its kernel is far from the trained one.
      if (method === 'eu-k') {
        const i = names.indexOf('logits/kernel')
        const corr = pearson(before[i]!, after[i]!)
        expect(Math.abs(corr)).toBeLessThan(0.5)
      }
    }
  })
})

function pearson(a: Float32Array, b: Float32Array): number {
  const n = a.length
  const ma = a.reduce((s, v) => s + v, 0) / n
  const mb = b.reduce((s, v) => s + v, 0) / n
  let num = 0
  let da = 0
  let db = 0
  for (let i = 0; i < n; i++) {
    num += (a[i]! - ma) * (b[i]! - mb)
    da += (a[i]! - ma) ** 2
    db += (b[i]! - mb) ** 2
  }
  return num / Math.sqrt(da * db)
}
