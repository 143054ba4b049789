import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { selectBackend } from '@main/engine/backend/select'
import { npoLoss, redirectLoss } from '@main/engine/methods/npo-loss'

beforeAll(async () => {
  await selectBackend()
})

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z))

describe('NPO and redirect losses', () => {
  it('match the hand-computed −(2/β)·log σ(β(CE − CE_ref)) and (2/β)·log σ(β(CE − CE_ref))', () => {
    const ce = [0.1, 2.0, 5.0]
    const ref = [1.0, 1.0, 0.5]
    for (const beta of [1, 0.5, 2]) {
      const npo = Array.from(npoLoss(tf.tensor1d(ce), tf.tensor1d(ref), beta).dataSync())
      const redirect = Array.from(redirectLoss(tf.tensor1d(ce), tf.tensor1d(ref), beta).dataSync())
      ce.forEach((c, i) => {
        const z = beta * (c - ref[i]!)
        expect(npo[i]).toBeCloseTo(-(2 / beta) * Math.log(sigmoid(z)), 5)
        expect(redirect[i]).toBeCloseTo((2 / beta) * Math.log(sigmoid(z)), 5)
      })
    }
    // β = 1, CE = CE_ref: NPO = 2·ln 2.
    expect(npoLoss(tf.tensor1d([0.7]), tf.tensor1d([0.7]), 1).dataSync()[0]).toBeCloseTo(2 * Math.log(2), 6)
  })

  it('NPO falls as the model moves away from the reference, and saturates', () => {
    const at = (c: number) => npoLoss(tf.tensor1d([c]), tf.tensor1d([1]), 1).dataSync()[0]!
    expect(at(0.5)).toBeGreaterThan(at(1))
    expect(at(1)).toBeGreaterThan(at(3))
    expect(at(30)).toBeLessThan(1e-6)
  })
})
