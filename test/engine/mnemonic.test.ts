import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { selectBackend } from '@main/engine/backend/select'
import { codeFishers, FISHER_FLOOR, perturbation } from '@main/engine/methods/mnemonic'
import { FunctionalModel } from '@main/engine/model/functional-model'
import type { ModelGraph } from '@main/engine/model/graph'
import { generateCodes, mixCodes } from '@main/engine/train/mnemonic-codes'

beforeAll(async () => {
  await selectBackend()
})

describe('Mnemonic codes', () => {
  it('are seeded, in [0,1), and replace about tMix of a batch with the class code, keeping the label', () => {
    const a = generateCodes(3, [2, 2, 1], 0.5, 7)
    expect(Array.from(generateCodes(3, [2, 2, 1], 0.5, 7).values)).toEqual(Array.from(a.values))
    expect(Array.from(a.values).every((v) => v >= 0 && v < 1)).toBe(true)
    const codes = tf.tensor(a.values, [3, 2, 2, 1])
    const x = tf.fill([400, 2, 2, 1], 5)
    const y = tf.tensor1d(
      Array.from({ length: 400 }, (_, i) => i % 3),
      'int32'
    )
    const mixed = mixCodes(x, y, codes, 0.5, 1, 0).arraySync() as number[][][][]
    const replaced = mixed.filter((s) => s[0]![0]![0] !== 5)
    expect(replaced.length).toBeGreaterThan(150)
    expect(replaced.length).toBeLessThan(250)
    mixed.forEach((s, i) => {
      if (s[0]![0]![0] !== 5) expect(s[0]![0]![0]).toBeCloseTo(a.values[(i % 3) * 4]!, 6)
    })
  })

  it('Fisher ratio and per-tensor scale match a hand computation on a one-layer model', () => {
    const graph: ModelGraph = {
      arch: 'tiny',
      inputShape: [2],
      numClasses: 3,
      output: 'logits',
      nodes: [
        { kind: 'input', name: 'input', shape: [2] },
        { kind: 'dense', name: 'logits', input: 'input', units: 3, useBias: true, activation: 'linear' }
      ]
    }
    const W = [
      [0.2, -0.4, 0.1],
      [0.5, 0.3, -0.2]
    ]
    const b = [0, 0.1, -0.1]
    const model = new FunctionalModel(
      graph,
      new Map<string, tf.Variable>([
        ['logits/kernel', tf.variable(tf.tensor2d(W))],
        ['logits/bias', tf.variable(tf.tensor1d(b))]
      ])
    )
    const codeValues = [
      [0.9, 0.1],
      [0.2, 0.8],
      [0.5, 0.5]
    ]
    const codes = { values: Float32Array.from(codeValues.flat()), inputShape: [2], classes: 3, tMix: 0.1 }
    // By hand: for code c, dCE/dz = softmax(z) − onehot(c); dW = x ⊗ dz; db = dz.
    const grads = codeValues.map((x, c) => {
      const z = [0, 1, 2].map((k) => x[0]! * W[0]![k]! + x[1]! * W[1]![k]! + b[k]!)
      const e = z.map(Math.exp)
      const dz = e.map((v, k) => v / (e[0]! + e[1]! + e[2]!) - (k === c ? 1 : 0))
      return { w: x.flatMap((xi) => dz.map((d) => xi * d)), b: dz }
    })
    const fishers = codeFishers(model, codes, new Set([0]))
    const fF = (t: 'w' | 'b', j: number) => FISHER_FLOOR + grads[0]![t][j]! ** 2
    const fR = (t: 'w' | 'b', j: number) => (2 * FISHER_FLOOR + grads[1]![t][j]! ** 2 + grads[2]![t][j]! ** 2) / 2
    for (let j = 0; j < 6; j++) {
      expect(fishers.forget[0]![j]).toBeCloseTo(fF('w', j), 6)
      expect(fishers.retain[0]![j]).toBeCloseTo(fR('w', j), 6)
    }
    const shifts = perturbation(fishers, 1e-3, 10)
    const eta = Array.from({ length: 6 }, (_, j) => fF('w', j) / fR('w', j))
    shifts[0]!.eta.forEach((v, j) => expect(v / eta[j]!).toBeCloseTo(1, 3))
    expect(shifts[0]!.alpha).toBeCloseTo(Math.min(1e-3, 10 / Math.max(...eta)), 8)
    model.dispose()
  })
})
