import * as tf from '@tensorflow/tfjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { corruptTrainingSet } from '@main/engine/data/corruption'
import { trainingIndices } from '@main/engine/data/splits'
import { calibrateNewChannelStatistics } from '@main/engine/methods/rem/calibrate'
import { buildMasks, REFERENCE_SHARED_MASK_ID } from '@main/engine/methods/rem/masks'
import { runMethod } from '@main/engine/methods/registry'
import { buildArchitecture } from '@main/engine/model/architectures'
import { FunctionalModel } from '@main/engine/model/functional-model'
import { widenModel } from '@main/engine/model/widen'
import { createRng } from '@main/engine/util/random'
import { parseTaskSpec } from '@shared/task-spec'
import { toyMethodContext, weightValues } from '../helpers/toy-task'

// REM's choices where the official code (if-loops/rem, class REM) differs from a first reading of the paper.
describe('REM: the official behaviours, each an option', () => {
  let ctx: Awaited<ReturnType<typeof toyMethodContext>>
  beforeAll(async () => {
    ctx = await toyMethodContext('rem')
  })
  afterAll(() => ctx.dispose())

  // Injected: with γ = 1 the proxy keeping·(1 − max(D_f accuracy, γ)) is 0 for every round, so none beats the original's.
  const noImprovement = { removalThreshold: 1, rounds: 2, learningRate: 0.05 }

  it('R1: when no round beats the original, the last round is kept (official) and the run says so', async () => {
    const out = await runMethod('rem', noImprovement, ctx)
    try {
      expect(out.extraMetrics!.remFallback).toBe(1)
      expect(out.extraMetrics!.remBestRound).toBe(2)
      const changed = weightValues(out.model).some((w, i) => w.some((v, k) => v !== weightValues(ctx.original)[i]![k]))
      expect(changed).toBe(true)
    } finally {
      out.model.dispose()
    }
  })

  it('R1: `fallback: original` returns the original unchanged, and says so too', async () => {
    const out = await runMethod('rem', { ...noImprovement, fallback: 'original' }, ctx)
    try {
      expect(out.extraMetrics!.remFallback).toBe(1)
      expect(out.extraMetrics!.remBestRound).toBe(0)
      expect(weightValues(out.model)).toEqual(weightValues(ctx.original))
    } finally {
      out.model.dispose()
    }
  })

  it('R1: a round that improves is kept without any fallback', async () => {
    // Forgetting a class of the toy problem: the Flush removes it and the other classes stay (on random
    // examples of this separable toy, removal only comes with collapse, which is never kept).
    const classCtx = await toyMethodContext('rem', {}, { task: { kind: 'class', classes: [2] } })
    const out = await runMethod('rem', { rounds: 2, removalThreshold: 0.2 }, classCtx)
    try {
      expect(out.extraMetrics!.remFallback).toBe(0)
      expect(out.extraMetrics!.remBestRound).toBeGreaterThan(0)
    } finally {
      out.model.dispose()
      classCtx.dispose()
    }
  })

  it('R4: the reference runs D_f through a shared subset of its own', () => {
    const { maskPoints, model } = widenModel(ctx.original, 0.5, 3)
    model.dispose()
    const opts = { p: 0.5, seed: 9, usesShared: () => true }
    const student = buildMasks(maskPoints, [4, 5], 'mask', opts)
    const reference = buildMasks(maskPoints, [4, 5], 'mask', { ...opts, sharedId: REFERENCE_SHARED_MASK_ID })
    const node = maskPoints[0]!.node
    // Every D_f sample shares one subset in each model, but not the same one.
    expect(Array.from(student[node]!.dataSync().slice(0, maskPoints[0]!.original + maskPoints[0]!.extra))).not.toEqual(
      Array.from(reference[node]!.dataSync().slice(0, maskPoints[0]!.original + maskPoints[0]!.extra))
    )
    tf.dispose([...Object.values(student), ...Object.values(reference)])
  })
})

describe('REM R3: new channels as PyTorch starts them', () => {
  it('new kernel columns drawn within ±1/√fan_in of the widened layer; Glorot reaches past it where its bound is wider', () => {
    const original = FunctionalModel.initialize(buildArchitecture('cnn-small', [28, 28, 1], 10), 0)
    const receptive = (shape: number[]) => shape.slice(0, -2).reduce((a, b) => a * b, 1)
    for (const init of ['fan-in-uniform', 'glorot'] as const) {
      const { model } = widenModel(original, 0.5, 1, init)
      // A layer whose Glorot bound √(6/(fan_in+fan_out)) exceeds 1/√fan_in: fan_out < 5·fan_in.
      const [name, kernel] = [...model.weights.entries()].find(
        ([n, k]) => n.endsWith('/kernel') && k.rank === 4 && k.shape[3]! < 5 * k.shape[2]!
      )!
      const shape = kernel.shape
      const fanIn = receptive(shape) * shape[2]!
      const oldOut = original.weights.get(name)!.shape[3]!
      const values = kernel.dataSync()
      let largest = 0
      // Only the new output columns: the original block is copied over.
      for (let k = 0; k < values.length; k++) if (k % shape[3]! >= oldOut) largest = Math.max(largest, Math.abs(values[k]!))
      if (init === 'fan-in-uniform') expect(largest).toBeLessThanOrEqual((1 / Math.sqrt(fanIn)) * 1.0001)
      else expect(largest).toBeGreaterThan(1 / Math.sqrt(fanIn))
      model.dispose()
    }
    original.dispose()
  })

  it("calibration gives the new channels the moments of their real outputs and keeps the original channels' statistics", () => {
    const original = FunctionalModel.initialize(buildArchitecture('cnn-small', [28, 28, 1], 10), 0)
    const widened = widenModel(original, 0.5, 1, 'fan-in-uniform')
    const rng = createRng(2)
    const n = 64
    const labels = Int32Array.from({ length: n }, (_, i) => i % 10)
    const train = {
      x: tf.tensor(
        Float32Array.from({ length: n * 784 }, () => rng()),
        [n, 28, 28, 1]
      ),
      y: tf.tensor1d(labels, 'int32'),
      labels,
      count: n
    }
    calibrateNewChannelStatistics(
      widened,
      original,
      train,
      trainingIndices({ forget: new Int32Array([0]), retain: Int32Array.from({ length: n - 1 }, (_, i) => i + 1) }),
      5
    )
    const bn = [...widened.model.weights.keys()].filter((k) => k.endsWith('moving_mean'))
    expect(bn.length).toBeGreaterThan(0)
    for (const name of bn) {
      const before = original.weights.get(name)!.dataSync()
      const after = widened.model.weights.get(name)!.dataSync()
      expect(Array.from(after.slice(0, before.length))).toEqual(Array.from(before))
      // Fresh channels were at mean 0; their real outputs are not.
      expect(after.slice(before.length).some((v) => Math.abs(v) > 1e-6)).toBe(true)
    }
    // The variances stay positive, so the eval-mode reference normalises the new channels.
    for (const name of bn.map((k) => k.replace('moving_mean', 'moving_variance')))
      expect(Array.from(widened.model.weights.get(name)!.dataSync()).every((v) => v > 0)).toBe(true)
    tf.dispose([train.x, train.y])
    widened.model.dispose()
    original.dispose()
  })
})

describe('REM T1: the official poison pool', () => {
  it('includeTargetClass draws poisons from the target class too; the default never does', () => {
    const n = 500
    const split = { images: new Float32Array(n * 36), labels: Int32Array.from({ length: n }, (_, i) => i % 5), count: n }
    const taskOf = (include: boolean) => {
      const spec = parseTaskSpec({
        name: 't',
        dataset: { id: 'x' },
        model: { arch: 'mlp' },
        train: { epochs: 1, learningRate: 0.1 },
        task: {
          kind: 'corrupted',
          corruption: 'poison',
          corruptedCount: 200,
          discoveryRate: 0.5,
          trigger: { targetClass: 1, ...(include ? { includeTargetClass: true } : {}) }
        },
        methods: ['finetune']
      })
      return spec.task as Extract<typeof spec.task, { kind: 'corrupted' }>
    }
    const fromTarget = (include: boolean) =>
      Array.from(corruptTrainingSet(taskOf(include), split, [6, 6, 1], 5, 0).corrupted).filter((i) => split.labels[i] === 1).length
    expect(fromTarget(false)).toBe(0)
    // About a fifth of 200 from 5 balanced classes.
    expect(fromTarget(true)).toBeGreaterThan(20)
  })
})
