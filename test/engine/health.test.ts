import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { selectBackend } from '@main/engine/backend/select'
import { collapseReason, nonFiniteWeights } from '@main/engine/eval/health'
import { buildArchitecture } from '@main/engine/model/architectures'
import { FunctionalModel } from '@main/engine/model/functional-model'

beforeAll(async () => {
  await selectBackend()
})

describe('run health checks', () => {
  it('name the weights that hold NaN or infinity, and only those', async () => {
    const model = FunctionalModel.initialize(buildArchitecture('mlp', [4], 3), 0)
    expect(await nonFiniteWeights(model)).toEqual([])
    const [first, second] = model.trainableVariables()
    first!.assign(tf.fill(first!.shape, Number.NaN))
    second!.assign(tf.fill(second!.shape, Number.POSITIVE_INFINITY))
    const names = model.orderedWeightNames()
    expect(await nonFiniteWeights(model)).toEqual([names[0], names[1]])
    model.dispose()
  })

  it('call retain accuracy within 5 points of chance a collapse, and nothing above it', () => {
    expect(collapseReason({ retainAccuracy: 0.12 }, 10)).toMatch(/^Accuracy collapsed: retain accuracy 0\.120 .*0\.100 for 10 classes/)
    expect(collapseReason({ retainAccuracy: 0.16 }, 10)).toBeNull()
    expect(collapseReason({ retainAccuracy: 0.54 }, 2)).toMatch(/collapsed/)
    expect(collapseReason({ retainAccuracy: null }, 10)).toBeNull()
  })
})
