import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { selectBackend } from '@main/engine/backend/select'
import { loadBuiltinDataset } from '@main/engine/data/dataset'
import { accuracy } from '@main/engine/eval/accuracy'
import { type ArchitectureId, buildArchitecture } from '@main/engine/model/architectures'
import { batchNormTrainingWithMoments } from '@main/engine/model/batch-norm'
import { FunctionalModel } from '@main/engine/model/functional-model'
import { trainClassifier } from '@main/engine/train/loop'
import { disposeTensorSplit, toTensorSplit } from '@main/engine/train/tensor-data'
import { skipNative } from '../helpers/native-backend'
import { randomTensor as random, relError } from '../helpers/seeded'

/** Whole models on the native backend against the cpu backend (gradients) and the wasm one (training). */

const RESOURCES = join(__dirname, '..', '..', 'resources')

/** The loss's gradient for every trainable weight, and the moving statistics after the step. */
function modelGradients(arch: ArchitectureId): Map<string, Float32Array> {
  const model = FunctionalModel.initialize(buildArchitecture(arch, [28, 28, 1], 10), 3)
  const out = new Map<string, Float32Array>()
  tf.tidy(() => {
    const x = random([16, 28, 28, 1], 11)
    const labels = tf.oneHot(
      tf.tensor1d(
        Array.from({ length: 16 }, (_, i) => i % 10),
        'int32'
      ),
      10
    )
    const { grads } = tf.variableGrads(
      () => tf.losses.softmaxCrossEntropy(labels, model.forward(x, { training: true })) as tf.Scalar,
      model.trainableVariables()
    )
    for (const [name, w] of model.weights) if (grads[w.name]) out.set(name, grads[w.name]!.dataSync() as Float32Array)
  })
  for (const [name, w] of model.weights) if (name.includes('moving')) out.set(name, w.dataSync() as Float32Array)
  model.dispose()
  return out
}

describe.skipIf(skipNative)('native backend on whole models', () => {
  beforeAll(async () => {
    await selectBackend('native')
  })

  it('batch norm in training mode (values, moments and gradients) matches the closed form on the cpu backend', async () => {
    const run = () =>
      tf.tidy(() => {
        const [x, gamma, beta] = [random([6, 5, 4, 7], 1), random([7], 2), random([7], 3)]
        let moments: Float32Array[] = []
        const f = (xx: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
          batchNormTrainingWithMoments(
            xx,
            g,
            b,
            1e-3,
            (mean, variance) => (moments = [mean.dataSync() as Float32Array, variance.dataSync() as Float32Array])
          )
        const y = f(x, gamma, beta)
        const weights = random(y.shape, 4)
        const grads = tf.grads((xx: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(xx, g, b), weights)))([x, gamma, beta])
        return [y.dataSync() as Float32Array, ...moments, ...grads.map((t) => t.dataSync() as Float32Array)]
      })
    await tf.setBackend('cpu')
    const ref = run()
    await tf.setBackend('wasm')
    const got = run()
    ;['y', 'mean', 'variance', 'dx', 'dGamma', 'dBeta'].forEach((name, i) => expect(relError(got[i]!, ref[i]!), name).toBeLessThan(1e-4))
  })

  // Looser than one kernel's 1e-4: the error of each layer's differently ordered sums compounds through
  // the network and its batch norms.
  it.each(['mlp', 'cnn-small', 'resnet-mini'] as const)(
    '%s: every weight gradient and moving statistic matches the cpu backend within 1e-3',
    async (arch) => {
      await tf.setBackend('cpu')
      const ref = modelGradients(arch)
      await tf.setBackend('wasm')
      const got = modelGradients(arch)
      expect([...got.keys()].sort()).toEqual([...ref.keys()].sort())
      for (const [name, values] of ref) expect(relError(got.get(name)!, values), name).toBeLessThan(1e-3)
    }
  )

  // The quickstart's data and recipe: trained to where the test accuracy settles, so the runs' different
  // rounding (which sends the weights down different paths within a few steps) no longer shows in it.
  it.each(['cnn-small', 'resnet-mini'] as const)(
    '%s trains on the quickstart subset to the same test accuracy on native as on wasm, within 1 point (same seed)',
    async (arch) => {
      const data = await loadBuiltinDataset(RESOURCES, 'fashion-mnist', { trainLimit: 6000, testLimit: 1000 })
      const train = toTensorSplit(data.train, [28, 28, 1])
      const test = toTensorSplit(data.test, [28, 28, 1])
      const indices = Int32Array.from({ length: train.count }, (_, i) => i)
      const trainedAccuracy = async (backend: 'native' | 'wasm') => {
        await selectBackend(backend)
        const model = FunctionalModel.initialize(buildArchitecture(arch, [28, 28, 1], 10), 0)
        await trainClassifier(model, train, {
          indices,
          epochs: 4,
          batchSize: 128,
          optimizer: 'sgd',
          learningRate: 0.05,
          momentum: 0.9,
          schedule: 'cosine',
          seed: 0
        })
        const acc = await accuracy(model, test)
        model.dispose()
        return acc
      }
      const wasm = await trainedAccuracy('wasm')
      const native = await trainedAccuracy('native')
      disposeTensorSplit(train)
      disposeTensorSplit(test)
      console.log(`${arch}: test accuracy ${wasm.toFixed(3)} on wasm, ${native.toFixed(3)} on native`)
      expect(wasm).toBeGreaterThan(0.7)
      expect(Math.abs(native - wasm)).toBeLessThanOrEqual(0.01)
    },
    300_000
  )
})
