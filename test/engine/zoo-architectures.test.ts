import * as tf from '@tensorflow/tfjs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { type BackendName, selectBackend } from '@main/engine/backend/select'
import { buildArchitecture } from '@main/engine/model/architectures'
import { parameterCounts } from '@main/engine/model/flops'
import { FunctionalModel } from '@main/engine/model/functional-model'
import { loadModel, saveModel } from '@main/engine/model/model-files'
import { narrowModel, widenModel } from '@main/engine/model/widen'
import { buildMasks } from '@main/engine/methods/rem/masks'
import { trainClassifier } from '@main/engine/train/loop'
import type { TensorSplit } from '@main/engine/train/tensor-data'
import { nativeAvailable } from '../helpers/native-backend'
import { randomTensor, relError } from '../helpers/seeded'
import { makeTempDir } from '../helpers/tmp'

/** The larger architectures at full width on CIFAR-sized inputs, on every backend built here. */

const CIFAR = [32, 32, 3]
const ZOO = ['resnet-9', 'resnet-18'] as const
const BACKENDS: BackendName[] = nativeAvailable ? ['native', 'wasm'] : ['wasm']
const tmp = makeTempDir('zoo')
afterAll(tmp.cleanup)

/** Eight random images with labels 0-7: one optimiser step at batch 8. */
function tinySplit(): TensorSplit {
  const labels = Int32Array.from({ length: 8 }, (_, i) => i)
  return { x: randomTensor([8, ...CIFAR], 5), y: tf.tensor1d(labels, 'int32'), labels, count: 8 }
}

describe.each(ZOO)('%s', (arch) => {
  it('builds at width 1 with the weights its architecture counts', () => {
    const graph = buildArchitecture(arch, CIFAR, 10)
    const model = FunctionalModel.initialize(graph, 0)
    expect(model.parameterCount()).toBe(parameterCounts(graph).total)
    expect(model.trainableVariables().reduce((n, v) => n + v.size, 0)).toBe(parameterCounts(graph).trainable)
    model.dispose()
  })

  it(`runs forward and trains a step with a finite loss on ${BACKENDS.join(' and ')}, the same logits on each`, async () => {
    const logits: Float32Array[] = []
    for (const backend of BACKENDS) {
      expect((await selectBackend(backend)).name).toBe(backend)
      const model = FunctionalModel.initialize(buildArchitecture(arch, CIFAR, 10), 1)
      const x = randomTensor([2, ...CIFAR], 3)
      const y = model.forward(x)
      expect(y.shape).toEqual([2, 10])
      logits.push(y.dataSync() as Float32Array)
      tf.dispose([x, y])

      const data = tinySplit()
      const before = Float32Array.from(model.weights.get('logits/kernel')!.dataSync())
      const run = await trainClassifier(model, data, {
        indices: Int32Array.from({ length: 8 }, (_, i) => i),
        epochs: 1,
        batchSize: 8,
        optimizer: 'sgd',
        learningRate: 0.01,
        augment: { crop: 4, flip: true },
        seed: 0
      })
      expect(run.steps).toBe(1)
      expect(Number.isFinite(run.finalLoss)).toBe(true)
      expect(relError(model.weights.get('logits/kernel')!.dataSync() as Float32Array, before)).toBeGreaterThan(0)
      tf.dispose([data.x, data.y])
      model.dispose()
    }
    for (const other of logits.slice(1)) expect(relError(other, logits[0]!)).toBeLessThan(1e-3)
  })

  it('saves and loads at width 0.25 with the same predictions', async () => {
    await selectBackend()
    const model = FunctionalModel.initialize(buildArchitecture(arch, CIFAR, 10, { width: 0.25 }), 2)
    const dir = join(tmp.dir, arch)
    await saveModel(model, dir)
    const { model: back } = await loadModel(dir)
    const x = randomTensor([3, ...CIFAR], 4)
    const [a, b] = [model.forward(x), back.forward(x)]
    expect(back.graph.arch).toBe(arch)
    expect(relError(b.dataSync() as Float32Array, a.dataSync() as Float32Array)).toBeLessThan(1e-5)
    tf.dispose([x, a, b])
    model.dispose()
    back.dispose()
  })

  it("REM's widening keeps the function with the new channels masked off (width 0.125, 16×16 inputs)", async () => {
    await selectBackend()
    const original = FunctionalModel.initialize(buildArchitecture(arch, [16, 16, 3], 4, { width: 0.125 }), 2)
    const widened = widenModel(original, 0.5, 7)
    const x = randomTensor([4, 16, 16, 3], 6)
    const drop = buildMasks(widened.maskPoints, [0, 1, 2, 3], 'drop', { p: 0.2, seed: 0 })
    const [a, b] = [original.forward(x), widened.model.forward(x, { masks: drop })]
    expect(relError(b.dataSync() as Float32Array, a.dataSync() as Float32Array)).toBeLessThan(1e-5)
    const narrowed = narrowModel(widened)
    expect(narrowed.parameterCount()).toBe(original.parameterCount())
    tf.dispose([x, a, b, ...Object.values(drop)])
    for (const m of [original, widened.model, narrowed]) m.dispose()
  })
})

describe('resnet-9 on other image sizes', () => {
  it('pools what is left after three halvings globally: 3×3 for 28×28 Fashion-MNIST images', () => {
    const graph = buildArchitecture('resnet-9', [28, 28, 1], 10)
    const pool = graph.nodes.find((n) => n.name === 'global_pool')
    expect(pool?.kind === 'maxpool' && pool.poolSize).toEqual([3, 3])
  })

  it('refuses images smaller than 8×8, naming the reason', () => {
    expect(() => buildArchitecture('resnet-9', [6, 6, 1], 10)).toThrow(/at least 8×8/)
  })
})
