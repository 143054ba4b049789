import * as tf from '@tensorflow/tfjs'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { selectBackend } from '@main/engine/backend/select'
import { buildArchitecture } from '@main/engine/model/architectures'
import { FunctionalModel } from '@main/engine/model/functional-model'
import { fromLayersModel } from '@main/engine/model/layers-format'
import { loadModel, saveModel } from '@main/engine/model/model-files'
import { mobileGraph } from '../helpers/mobile-graph'
import { makeTempDir } from '../helpers/tmp'

const tmp = makeTempDir('model-io')
afterAll(tmp.cleanup)
beforeAll(async () => {
  await selectBackend()
})

function randomBatch(shape: number[]): tf.Tensor {
  return tf.randomUniform([5, ...shape], 0, 1, 'float32', 7)
}

/** Moves BN statistics away from their initial values, so a round trip that dropped them would show. */
function perturbStatistics(model: FunctionalModel): void {
  for (const [name, w] of model.weights) {
    if (name.endsWith('moving_mean')) w.assign(tf.randomUniform(w.shape, -0.5, 0.5, 'float32', 3))
    if (name.endsWith('moving_variance')) w.assign(tf.randomUniform(w.shape, 0.5, 2, 'float32', 4))
  }
}

describe('model save and load (TF.js LayersModel format)', () => {
  it.each(['mlp', 'cnn-small', 'resnet-mini'] as const)(
    '%s: the same predictions after a round trip, and tf.loadLayersModel reads the files',
    async (arch) => {
      const model = FunctionalModel.initialize(buildArchitecture(arch, [28, 28, 1], 10), 1)
      perturbStatistics(model)
      const x = randomBatch([28, 28, 1])
      const dir = join(tmp.dir, arch)
      const saved = await saveModel(model, dir)
      const { model: back, sha256 } = await loadModel(dir)
      expect(sha256).toBe(saved.sha256)
      expect(back.parameterCount()).toBe(model.parameterCount())
      const before = model.forward(x)
      const after = back.forward(x)
      expect(tf.max(tf.abs(tf.sub(before, after))).dataSync()[0]).toBeLessThan(1e-5)

      const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'))
      const weights = readFileSync(join(dir, 'weights.bin'))
      const lm = await tf.loadLayersModel({
        load: async () => ({
          modelTopology: json.modelTopology,
          weightSpecs: json.weightsManifest[0].weights,
          weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength)
        })
      })
      const viaLayers = lm.predict(x) as tf.Tensor
      expect(tf.max(tf.abs(tf.sub(before, viaLayers))).dataSync()[0]).toBeLessThan(1e-4)
      tf.dispose([x, before, after, viaLayers])
      lm.dispose()
      model.dispose()
      back.dispose()
    }
  )

  it('imports a model built and saved with tfjs-layers itself, softmax head included', async () => {
    const lm = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [8, 8, 1], filters: 4, kernelSize: 3, activation: 'relu' }),
        tf.layers.batchNormalization(),
        tf.layers.maxPooling2d({ poolSize: 2 }),
        tf.layers.flatten(),
        tf.layers.dropout({ rate: 0.2 }),
        tf.layers.dense({ units: 3, activation: 'softmax' })
      ]
    })
    const dir = join(tmp.dir, 'keras-made')
    let artifacts: tf.io.ModelArtifacts | undefined
    await lm.save(
      tf.io.withSaveHandler(async (a) => ((artifacts = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }))
    )
    const { mkdirSync, writeFileSync } = await import('node:fs')
    mkdirSync(dir, { recursive: true })
    writeFileSync(
      join(dir, 'model.json'),
      JSON.stringify({ modelTopology: artifacts!.modelTopology, weightsManifest: [{ paths: ['w.bin'], weights: artifacts!.weightSpecs }] })
    )
    writeFileSync(join(dir, 'w.bin'), new Uint8Array(artifacts!.weightData as ArrayBuffer))
    const { model } = await loadModel(dir)
    const x = tf.randomUniform([4, 8, 8, 1], 0, 1, 'float32', 2)
    const probs = lm.predict(x) as tf.Tensor
    // Our forward returns logits (the softmax is left out), so softmax(logits) must equal Keras' output.
    const ours = tf.softmax(model.forward(x))
    expect(tf.max(tf.abs(tf.sub(probs, ours))).dataSync()[0]).toBeLessThan(1e-5)
    expect(model.graph.numClasses).toBe(3)
    tf.dispose([x, probs, ours])
    lm.dispose()
    model.dispose()
  })

  it('refuses a weights path that escapes the model folder', async () => {
    const dir = join(tmp.dir, 'escape')
    const { mkdirSync, writeFileSync } = await import('node:fs')
    mkdirSync(dir, { recursive: true })
    writeFileSync(
      join(dir, 'model.json'),
      JSON.stringify({ modelTopology: {}, weightsManifest: [{ paths: ['../../etc/passwd'], weights: [] }] })
    )
    await expect(loadModel(dir)).rejects.toThrow(/points outside the model folder/)
  })

  it('names a malformed model.json', async () => {
    const dir = join(tmp.dir, 'bad-json')
    const { mkdirSync, writeFileSync } = await import('node:fs')
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, 'model.json'), '{"modelTopology": ')
    await expect(loadModel(dir)).rejects.toThrow(/model\.json is not valid JSON/)
  })
})

/** Biases and BN terms away from zero and one, so a round trip that dropped or swapped one would show. */
function perturbAll(model: FunctionalModel): void {
  perturbStatistics(model)
  let seed = 11
  for (const [name, w] of model.weights)
    if (/\/(bias|beta|gamma)$/.test(name)) w.assign(tf.randomUniform(w.shape, name.endsWith('gamma') ? 0.5 : -0.5, 1.5, 'float32', seed++))
}

describe('depthwise conv, zero padding, ReLU6, LeakyReLU, Multiply and Concatenate', () => {
  it('round-trip through the saved LayersModel with the same outputs, as the Keras classes tf.loadLayersModel reads', async () => {
    const model = FunctionalModel.initialize(mobileGraph([12, 12, 1], 5), 4)
    perturbAll(model)
    const x = randomBatch([12, 12, 1])
    const dir = join(tmp.dir, 'mobile')
    await saveModel(model, dir)
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'))
    const classes = json.modelTopology.config.layers.map((l: { class_name: string }) => l.class_name)
    for (const c of ['DepthwiseConv2D', 'ZeroPadding2D', 'LeakyReLU', 'Multiply', 'Concatenate']) expect(classes).toContain(c)
    const weightNames = json.weightsManifest[0].weights.map((w: { name: string }) => w.name)
    expect(weightNames).toEqual(expect.arrayContaining(['dw1/depthwise_kernel', 'dw1/bias', 'dw2/depthwise_kernel']))
    const back = (await loadModel(dir)).model
    expect(back.graph.nodes).toEqual(model.graph.nodes)
    const before = model.forward(x)
    const after = back.forward(x)
    expect(tf.max(tf.abs(tf.sub(before, after))).dataSync()[0]).toBe(0)
    const weights = readFileSync(join(dir, 'weights.bin'))
    const lm = await tf.loadLayersModel({
      load: async () => ({
        modelTopology: json.modelTopology,
        weightSpecs: json.weightsManifest[0].weights,
        weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength)
      })
    })
    const viaLayers = lm.predict(x) as tf.Tensor
    expect(tf.max(tf.abs(tf.sub(before, viaLayers))).dataSync()[0]).toBeLessThan(1e-5)
    tf.dispose([x, before, after, viaLayers])
    for (const m of [model, back]) m.dispose()
    lm.dispose()
  })

  it('imports those layers from a model built with tfjs-layers (ReLU with max value 6, Activation relu6), with its predictions', () => {
    const input = tf.input({ shape: [9, 9, 2] })
    const apply = (layer: tf.layers.Layer, x: tf.SymbolicTensor | tf.SymbolicTensor[]) => layer.apply(x) as tf.SymbolicTensor
    const padded = apply(
      tf.layers.zeroPadding2d({
        padding: [
          [2, 0],
          [1, 1]
        ]
      }),
      input
    )
    const dw = apply(tf.layers.depthwiseConv2d({ kernelSize: 3, useBias: true, biasInitializer: 'ones', activation: 'relu6' }), padded)
    const capped = apply(tf.layers.reLU({ maxValue: 6 }), apply(tf.layers.conv2d({ filters: 2, kernelSize: 1, padding: 'same' }), input))
    const leaky = apply(tf.layers.leakyReLU({ alpha: 0.2 }), apply(tf.layers.activation({ activation: 'relu6' }), dw))
    const joined = apply(tf.layers.concatenate({ axis: -1 }), [apply(tf.layers.multiply(), [leaky, capped]), capped])
    const out = apply(tf.layers.dense({ units: 3 }), apply(tf.layers.flatten(), joined))
    const lm = tf.model({ inputs: input, outputs: out })
    const model = fromLayersModel(lm)
    const kinds = model.graph.nodes.map((n) => (n.kind === 'activation' ? n.fn : n.kind))
    // tfjs-layers lists them in its own topological order.
    expect(kinds.sort()).toEqual(
      ['input', 'zeropad', 'depthwise', 'conv2d', 'relu6', 'relu6', 'leakyrelu', 'multiply', 'concat', 'flatten', 'dense'].sort()
    )
    const x = tf.randomUniform([4, 9, 9, 2], -3, 3, 'float32', 8)
    const expected = lm.predict(x) as tf.Tensor
    const got = model.forward(x)
    expect(tf.max(tf.abs(tf.sub(expected, got))).dataSync()[0]).toBeLessThan(1e-5)
    tf.dispose([x, expected, got])
    lm.dispose()
    model.dispose()
  })

  it.each<[string, () => tf.layers.Layer, RegExp]>([
    [
      'a depth multiplier of 2',
      () => tf.layers.depthwiseConv2d({ name: 'dm2', kernelSize: 3, depthMultiplier: 2 }),
      /Layer "dm2" \(DepthwiseConv2D\) has depth multiplier 2; only 1 is supported/
    ],
    [
      'a ReLU capped at 3',
      () => tf.layers.reLU({ name: 'cap3', maxValue: 3 }),
      /Layer "cap3" \(ReLU\) has max value 3; only none or 6 \(ReLU6\) is supported/
    ]
  ])('refuses %s, naming the layer', (_, make, reason) => {
    const input = tf.input({ shape: [6, 6, 2] })
    const lm = tf.model({
      inputs: input,
      outputs: tf.layers.dense({ units: 2 }).apply(tf.layers.flatten().apply(make().apply(input))) as tf.SymbolicTensor
    })
    expect(() => fromLayersModel(lm)).toThrow(reason)
    lm.dispose()
  })

  it('refuses a concatenation along another axis than the channels, naming the layer', () => {
    const input = tf.input({ shape: [6, 6, 2] })
    const joined = tf.layers.concatenate({ name: 'rows', axis: 1 }).apply([input, input]) as tf.SymbolicTensor
    const lm = tf.model({
      inputs: input,
      outputs: tf.layers.dense({ units: 2 }).apply(tf.layers.flatten().apply(joined)) as tf.SymbolicTensor
    })
    expect(() => fromLayersModel(lm)).toThrow(/Layer "rows" \(Concatenate\) joins axis 1; only the channel axis \(-1\) is supported/)
    lm.dispose()
  })
})

describe('classifiers that end in a softmax', () => {
  it('are read as logits (softmax of the engine output = the model prediction), and saved with the softmax back on', async () => {
    const lm = tf.sequential({
      layers: [
        tf.layers.flatten({ inputShape: [28, 28, 1] }),
        tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 5 }) })
      ]
    })
    const x = randomBatch([28, 28, 1])
    const expected = lm.predict(x) as tf.Tensor
    const model = fromLayersModel(lm)
    expect(model.graph.outputSoftmax).toBe(true)
    const logits = model.forward(x as tf.Tensor4D)
    // Logits, not probabilities: rows do not sum to one, and their softmax is the prediction.
    expect(Math.abs((await tf.sum(logits.slice([0, 0], [1, 10])).data())[0]! - 1)).toBeGreaterThan(1e-3)
    const gap = tf.tidy(() => tf.max(tf.abs(tf.sub(tf.softmax(logits), expected))).dataSync()[0]!)
    expect(gap).toBeLessThan(1e-6)

    const saved = await saveModel(model, join(tmp.dir, 'softmax'))
    const json = JSON.parse(readFileSync(join(saved.dir, 'model.json'), 'utf8'))
    expect(json.modelTopology.config.layers.at(-1).config.activation).toBe('softmax')
    const reloaded = (await loadModel(saved.dir)).model
    expect(reloaded.graph.outputSoftmax).toBe(true)
    const again = reloaded.forward(x as tf.Tensor4D)
    expect(Array.from(await again.data())).toEqual(Array.from(await logits.data()))
    tf.dispose([x, expected, logits, again])
    lm.dispose()
    model.dispose()
    reloaded.dispose()
  })
})
