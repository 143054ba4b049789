import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { selectBackend } from '@main/engine/backend/select'
import { del } from '@main/engine/methods/del'
import { channelScores, localize, topFractionMask } from '@main/engine/methods/localization'
import { FunctionalModel } from '@main/engine/model/functional-model'
import type { ModelGraph } from '@main/engine/model/graph'
import type { TensorSplit } from '@main/engine/train/tensor-data'
import { toyMethodContext } from '../helpers/toy-task'

beforeAll(async () => {
  await selectBackend()
})

describe('DEL localization', () => {
  it('scores |θ ⊙ Σ∇(−CE)| per unit as in a hand computation', async () => {
    const graph: ModelGraph = {
      arch: 'tiny',
      inputShape: [3],
      numClasses: 2,
      output: 'logits',
      nodes: [
        { kind: 'input', name: 'input', shape: [3] },
        { kind: 'dense', name: 'logits', input: 'input', units: 2, useBias: true, activation: 'linear' }
      ]
    }
    const W = [
      [0.5, -1],
      [2, 0.25],
      [-0.5, 1]
    ]
    const b = [0.1, -0.2]
    const model = new FunctionalModel(
      graph,
      new Map<string, tf.Variable>([
        ['logits/kernel', tf.variable(tf.tensor2d(W))],
        ['logits/bias', tf.variable(tf.tensor1d(b))]
      ])
    )
    const xs = [
      [1, 0, 2],
      [0, 1, -1]
    ]
    const ys = [1, 0]
    const data: TensorSplit = { x: tf.tensor2d(xs), y: tf.tensor1d(ys, 'int32'), labels: Int32Array.from(ys), count: 2 }
    // By hand: d(−mean CE)/dlogits = (onehot − softmax)/B; dW = xᵀ·that; db = Σ rows.
    const dLogits = xs.map((x, i) => {
      const z = [0, 1].map((k) => x.reduce((a, v, j) => a + v * W[j]![k]!, 0) + b[k]!)
      const e = z.map(Math.exp)
      const s = e.map((v) => v / (e[0]! + e[1]!))
      return s.map((p, k) => ((k === ys[i] ? 1 : 0) - p) / 2)
    })
    const dW = W.map((row, j) => row.map((_, k) => xs.reduce((a, x, i) => a + x[j]! * dLogits[i]![k]!, 0)))
    const db = [0, 1].map((k) => dLogits[0]![k]! + dLogits[1]![k]!)
    // Batch size 1: the sum over batches must equal the gradient of the whole (per-batch means summed).
    const scores = await localize('del', model, data, Int32Array.from([0, 1]), 2, 0)
    const weighted = W.map((row, j) => row.map((w, k) => Math.abs(w * dW[j]![k]!)))
    // 2 units → h = max(1, ⌊0.2⌋) = 1: each unit's score is the max of its column.
    const unitScore = [0, 1].map((k) => Math.max(...weighted.map((r) => r[k]!)))
    Array.from(scores[0]!).forEach((s, i) => expect(s).toBeCloseTo(unitScore[i % 2]!, 5))
    Array.from(scores[1]!).forEach((s, k) => expect(s).toBeCloseTo(Math.abs(b[k]! * db[k]!), 5))
    model.dispose()
  })

  it('channel scores use the mean of the top ⌊0.1·units⌋ entries', () => {
    // 20 units → h = 2; one unit's column is 1..5 → mean of top 2 = 4.5.
    const rows = 5
    const values = new Float32Array(rows * 20)
    for (let r = 0; r < rows; r++) values[r * 20 + 3] = r + 1
    const out = channelScores(values, [rows, 20])
    expect(out[3]).toBeCloseTo(4.5)
    expect(out[4 * 20 + 3]).toBeCloseTo(4.5)
    expect(out[0]).toBe(0)
  })

  it('selects exactly ⌊α·N⌋ elements, deterministically on ties', () => {
    const scores = [Float32Array.from([3, 1, 1, 1]), Float32Array.from([1, 1, 2])]
    const masks = topFractionMask(scores, 0.5)
    expect(masks.map((m) => Array.from(m))).toEqual([
      [1, 1, 0, 0],
      [0, 0, 1]
    ])
    const many = [Float32Array.from({ length: 1000 }, (_, i) => i % 7)]
    expect(topFractionMask(many, 0.3)[0]!.reduce((a, b) => a + b, 0)).toBe(300)
  })
})

describe('DEL unlearning', () => {
  it('resets and trains only the masked parameters (plus the head); everything else stays bit-identical', async () => {
    const ctx = await toyMethodContext('del')
    const { original, train: data, split } = ctx
    const scores = await localize('del', original, data, split.forget, 32, 0)
    const masks = topFractionMask(scores, 0.3)
    const outcome = await del(ctx)
    const before = original.trainableVariables().map((v) => v.dataSync())
    const after = outcome.model.trainableVariables().map((v) => v.dataSync())
    const names = original.orderedWeightNames().filter((w) => !w.includes('moving'))
    let frozen = 0
    let moved = 0
    names.forEach((name, i) => {
      const isHead = name.startsWith('logits/')
      for (let j = 0; j < before[i]!.length; j++) {
        if (isHead || masks[i]![j]) {
          if (after[i]![j] !== before[i]![j]) moved++
        } else {
          expect(after[i]![j]).toBe(before[i]![j])
          frozen++
        }
      }
    })
    expect(frozen).toBeGreaterThan(0)
    expect(moved).toBeGreaterThan(0)
    expect(outcome.extraMetrics!.resetFraction).toBeCloseTo(0.3, 2)
    ctx.dispose()
    outcome.model.dispose()
  })
})
