import * as tf from '@tensorflow/tfjs'
import { existsSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import * as ort from 'onnxruntime-node'
import onnxProto from 'onnx-proto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { selectBackend } from '@main/engine/backend/select'
import { loadBuiltinDataset } from '@main/engine/data/dataset'
import { ARCHITECTURES, buildArchitecture } from '@main/engine/model/architectures'
import { FunctionalModel } from '@main/engine/model/functional-model'
import type { GraphNode, ModelGraph } from '@main/engine/model/graph'
import { loadModel } from '@main/engine/model/model-files'
import { exportModelOnnx } from '@main/library/model-export'
import { samePadding } from '@main/library/onnx/export-pads'
import { toOnnx } from '@main/library/onnx/export-onnx'
import { useAuditServices } from '../helpers/audit-services'
import { saveLayersModel, smallClassifier } from '../helpers/layers-model'
import { runAuditCli } from '../helpers/run-cli'
import { mobileGraph } from '../helpers/mobile-graph'
import { makeTempDir } from '../helpers/tmp'

/**
 * ONNX export: onnxruntime on the exported file gives the engine's outputs. Tolerance: the largest
 * difference is at most 1e-4 of the largest output magnitude (or 1e-4 absolute below 1). Both sides
 * compute in float32 and sum in different orders, so exact equality is not expected.
 */
const TOLERANCE = 1e-4
const { onnx } = onnxProto
const RESOURCES = join(__dirname, '..', '..', 'resources')

const services = useAuditServices('onnx-export')
const scratch = makeTempDir('onnx-export-out')
afterAll(() => scratch.cleanup())
const measured: string[] = []
afterAll(() => console.log(`ONNX export, max |onnxruntime − engine| (relative to max |engine|):\n${measured.join('\n')}`))

let fashion: { nhwc: Float32Array; count: number }
beforeAll(async () => {
  await selectBackend()
  const data = await loadBuiltinDataset(RESOURCES, 'fashion-mnist', { trainLimit: 10, testLimit: 32 })
  fashion = { nhwc: data.test.images, count: data.test.count }
})

/** Every weight random (kernels keep their Glorot init), so BN in inference mode and biases all matter. */
function randomize(model: FunctionalModel, seed: number): void {
  let s = seed
  for (const [name, w] of model.weights) {
    const leaf = name.slice(name.lastIndexOf('/') + 1)
    const range: Record<string, [number, number]> = {
      bias: [-0.2, 0.2],
      beta: [-0.5, 0.5],
      gamma: [0.5, 1.5],
      moving_mean: [-0.5, 0.5],
      moving_variance: [0.3, 2]
    }
    const r = range[leaf]
    if (r) w.assign(tf.randomUniform(w.shape, r[0], r[1], 'float32', s++))
  }
}

async function runOnnx(bytes: Uint8Array, input: Float32Array, dims: number[]): Promise<{ name: string; values: Float32Array }> {
  const session = await ort.InferenceSession.create(bytes)
  try {
    const out = await session.run({ input: new ort.Tensor('float32', input, dims) })
    const name = session.outputNames[0]!
    return { name, values: out[name]!.data as Float32Array }
  } finally {
    await session.release()
  }
}

function toNchw(nhwc: Float32Array, shape: number[]): Float32Array {
  return tf.tidy(() => tf.transpose(tf.tensor(nhwc, shape), [0, 3, 1, 2]).dataSync() as Float32Array)
}

/** Runs both sides on the same NHWC batch; records and returns the relative difference. */
async function compare(label: string, model: FunctionalModel, bytes: Uint8Array, nhwc: Float32Array, count: number): Promise<number> {
  const shape = [count, ...model.graph.inputShape]
  const expected = tf.tidy(() => {
    const logits = model.forward(tf.tensor(nhwc, shape))
    return (model.graph.outputSoftmax ? tf.softmax(logits) : logits).dataSync() as Float32Array
  })
  const onnxInput = shape.length === 4 ? toNchw(nhwc, shape) : nhwc
  const onnxDims = shape.length === 4 ? [count, shape[3]!, shape[1]!, shape[2]!] : shape
  const got = await runOnnx(bytes, onnxInput, onnxDims)
  expect(got.name).toBe(model.graph.outputSoftmax ? 'probabilities' : 'logits')
  expect(got.values.length).toBe(expected.length)
  let diff = 0
  let scale = 0
  expected.forEach((v, i) => {
    diff = Math.max(diff, Math.abs(v - got.values[i]!))
    scale = Math.max(scale, Math.abs(v))
  })
  const relative = diff / Math.max(scale, 1)
  measured.push(`  ${label}: ${diff.toExponential(2)} (${relative.toExponential(2)} of ${scale.toFixed(2)})`)
  expect(relative, label).toBeLessThanOrEqual(TOLERANCE)
  return relative
}

function decode(bytes: Uint8Array) {
  return onnx.ModelProto.decode(bytes)
}

/** Exports an engine model held in memory. */
function onnxOf(model: FunctionalModel, metadata: Record<string, string> = {}): Uint8Array {
  return toOnnx(model.graph, (name) => model.weights.get(name)!.dataSync() as Float32Array, metadata)
}

describe('ONNX export of every architecture in the zoo (random weights, Fashion-MNIST test images)', () => {
  it.each(ARCHITECTURES.map((a) => [a]))('%s: onnxruntime gives the engine logits; the graph is plain NCHW ops', async (arch) => {
    const model = FunctionalModel.initialize(buildArchitecture(arch, [28, 28, 1], 10), 5)
    try {
      randomize(model, 11)
      const bytes = onnxOf(model, { model_sha256: 'test' })
      await compare(arch, model, bytes, fashion.nhwc, fashion.count)

      const proto = decode(bytes)
      const graph = proto.graph!
      expect(Number(proto.irVersion)).toBe(7)
      expect(proto.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([['', 13]])
      const dims = (graph.input ?? [])[0]!.type!.tensorType!.shape!.dim!.map((d) => d.dimParam || Number(d.dimValue))
      expect(dims).toEqual(['N', 1, 28, 28])
      const ops = new Set((graph.node ?? []).map((n) => n.opType))
      // NCHW throughout: no layout shuffles, and the flatten order lives in the dense weights.
      expect(ops.has('Transpose') || ops.has('Gather')).toBe(false)
      // Self-contained: every weight is an initializer with its bytes inline.
      for (const t of graph.initializer ?? []) {
        expect(t.externalData ?? []).toHaveLength(0)
        expect(t.rawData?.length ?? 0).toBeGreaterThan(0)
      }
      expect((graph.initializer ?? []).reduce((n, t) => n + (t.dims ?? []).reduce((a, d) => a * Number(d), 1), 0)).toBe(
        model.parameterCount()
      )
      expect(proto.metadataProps.find((p) => p.key === 'model_sha256')?.value).toBe('test')
    } finally {
      model.dispose()
    }
  })

  it('an mlp on flat inputs takes [N, features]; the batch size is free', async () => {
    const model = FunctionalModel.initialize(buildArchitecture('mlp', [784], 10), 2)
    try {
      randomize(model, 3)
      const bytes = onnxOf(model)
      await compare('mlp on [784]', model, bytes, fashion.nhwc, fashion.count)
      await compare('mlp on [784], batch 1', model, bytes, fashion.nhwc.slice(0, 784), 1)
    } finally {
      model.dispose()
    }
  })
})

const conv = (name: string, input: string, filters: number, k: number, s: number, activation: 'linear' | 'relu' = 'linear'): GraphNode => ({
  kind: 'conv2d',
  name,
  input,
  filters,
  kernelSize: [k, k],
  strides: [s, s],
  padding: 'same',
  useBias: true,
  activation
})
const pool = (kind: 'maxpool' | 'avgpool', name: string, input: string, k: number, s: number, padding: 'same' | 'valid'): GraphNode => ({
  kind,
  name,
  input,
  poolSize: [k, k],
  strides: [s, s],
  padding
})
const bn = (name: string, input: string): GraphNode => ({ kind: 'batchnorm', name, input, epsilon: 1e-3, momentum: 0.9 })

/**
 * Every layer kind in the corners export has to get right, on a non-square 3-channel input: stride-2 and
 * stride-3 'same' convolutions and pools with uneven padding, average pools that must not count the
 * padding, a dense layer on a feature map, batch norm after a flatten (its statistics in CHW order),
 * sums of tensors in different feature orders, softmax over channels, and a softmax put back at the output.
 */
function cornerCases(): ModelGraph {
  const nodes: GraphNode[] = [
    { kind: 'input', name: 'input', shape: [14, 11, 3] },
    conv('c1', 'input', 8, 3, 2, 'relu'), // [7, 6, 8]; pads (0, 1) rows, (1, 1) columns
    bn('bn1', 'c1'),
    conv('c2', 'bn1', 6, 4, 3), // [3, 2, 6]; pads (1, 2) rows, (0, 1) columns
    { kind: 'activation', name: 'c2_tanh', input: 'c2', fn: 'tanh' },
    pool('maxpool', 'mp', 'bn1', 3, 2, 'same'), // [4, 3, 8]
    pool('avgpool', 'ap', 'mp', 3, 2, 'same'), // [2, 2, 8]
    pool('avgpool', 'ap_valid', 'bn1', 2, 2, 'valid'), // [3, 3, 8]
    { kind: 'dense', name: 'pixel_dense', input: 'ap', units: 5, useBias: true, activation: 'sigmoid' }, // [2, 2, 5]
    { kind: 'activation', name: 'channel_softmax', input: 'pixel_dense', fn: 'softmax' },
    { kind: 'flatten', name: 'f1', input: 'channel_softmax' }, // 20, CHW order
    bn('bn2', 'f1'),
    { kind: 'dropout', name: 'drop', input: 'bn2', rate: 0.5 },
    { kind: 'add', name: 'same_order', inputs: ['f1', 'drop'] },
    { kind: 'flatten', name: 'f2', input: 'c2_tanh' }, // 36, CHW order
    { kind: 'dense', name: 'd2', input: 'f2', units: 20, useBias: true, activation: 'relu' },
    { kind: 'gap', name: 'gap', input: 'ap_valid' },
    { kind: 'dense', name: 'd3', input: 'gap', units: 20, useBias: false, activation: 'linear' },
    { kind: 'add', name: 'mixed_order', inputs: ['same_order', 'd2', 'd3'] },
    { kind: 'dense', name: 'logits', input: 'mixed_order', units: 7, useBias: true, activation: 'linear' }
  ]
  return { arch: 'corner-cases', nodes, output: 'logits', inputShape: [14, 11, 3], numClasses: 7, outputSoftmax: true }
}

describe('ONNX export of layouts and paddings', () => {
  it("TF's 'same' padding puts the odd row at the end", () => {
    expect(samePadding(28, 3, 2)).toEqual([0, 1])
    expect(samePadding(7, 4, 3)).toEqual([1, 2])
    expect(samePadding(28, 3, 1)).toEqual([1, 1])
    expect(samePadding(4, 1, 2)).toEqual([0, 0])
  })

  it('corner cases on a 14×11×3 input: onnxruntime gives the engine outputs, with a softmax at the end', async () => {
    const model = FunctionalModel.initialize(cornerCases(), 7)
    try {
      randomize(model, 21)
      const count = 9
      const x = tf.tidy(() => tf.randomUniform([count, 14, 11, 3], -1, 1, 'float32', 4).dataSync() as Float32Array)
      await compare('corner cases', model, onnxOf(model), x, count)
      const ops = (decode(onnxOf(model)).graph?.node ?? []).map((n) => n.opType)
      // The mixed-order sum is the one place the CHW order has to be undone explicitly.
      expect(ops.filter((o) => o === 'Gather')).toHaveLength(1)
      expect(ops.at(-1)).toBe('Softmax')
    } finally {
      model.dispose()
    }
  })

  it('depthwise convs, zero padding, ReLU6, LeakyReLU, Multiply and Concatenate: onnxruntime gives the engine logits', async () => {
    const model = FunctionalModel.initialize(mobileGraph([28, 28, 1], 10), 5)
    try {
      randomize(model, 13)
      const bytes = onnxOf(model)
      await compare('mobile block', model, bytes, fashion.nhwc, fashion.count)
      const nodes = decode(bytes).graph?.node ?? []
      const ops = new Set(nodes.map((n) => n.opType))
      for (const op of ['Pad', 'Clip', 'LeakyRelu', 'Mul', 'Concat']) expect(ops).toContain(op)
      const groups = nodes.filter((n) => n.opType === 'Conv').map((n) => Number(n.attribute!.find((a) => a.name === 'group')!.i))
      // c1 and the gate are plain; dw1 reads 8 channels, dw2 the 16 of the concatenation.
      expect(groups).toEqual([1, 8, 1, 16])
      expect(ops.has('Transpose') || ops.has('Gather')).toBe(false)
    } finally {
      model.dispose()
    }
  })

  it('a concatenation of flattened maps (CHW order) and of a vector is joined in the engine order', async () => {
    const graph: ModelGraph = {
      arch: 'flat-concat',
      nodes: [
        { kind: 'input', name: 'input', shape: [4, 3, 2] },
        conv('c', 'input', 3, 3, 1, 'relu'),
        { kind: 'flatten', name: 'fa', input: 'c' },
        { kind: 'flatten', name: 'fb', input: 'input' },
        { kind: 'dense', name: 'v', input: 'fb', units: 5, useBias: true, activation: 'tanh' },
        { kind: 'concat', name: 'joined', inputs: ['fa', 'v', 'fb'] },
        { kind: 'dense', name: 'logits', input: 'joined', units: 4, useBias: true, activation: 'linear' }
      ],
      output: 'logits',
      inputShape: [4, 3, 2],
      numClasses: 4
    }
    const model = FunctionalModel.initialize(graph, 2)
    try {
      randomize(model, 5)
      const x = tf.tidy(() => tf.randomUniform([6, 4, 3, 2], -1, 1, 'float32', 3).dataSync() as Float32Array)
      await compare('concatenated vectors', model, onnxOf(model), x, 6)
    } finally {
      model.dispose()
    }
  })

  it('a flatten at the output is put back in the engine order', async () => {
    const graph: ModelGraph = {
      arch: 'flat-out',
      nodes: [
        { kind: 'input', name: 'input', shape: [3, 4, 2] },
        conv('c', 'input', 5, 1, 1),
        { kind: 'flatten', name: 'flat', input: 'c' }
      ],
      output: 'flat',
      inputShape: [3, 4, 2],
      numClasses: 60
    }
    const model = FunctionalModel.initialize(graph, 1)
    try {
      const x = tf.tidy(() => tf.randomUniform([4, 3, 4, 2], 0, 1, 'float32', 9).dataSync() as Float32Array)
      await compare('flatten at the output', model, onnxOf(model), x, 4)
    } finally {
      model.dispose()
    }
  })

  it('a tfjs-layers classifier ending in softmax exports its probabilities', async () => {
    const dir = join(scratch.dir, 'layers-model')
    const lm = smallClassifier()
    await saveLayersModel(lm, dir)
    lm.dispose()
    const { model } = await loadModel(dir)
    try {
      expect(model.graph.outputSoftmax).toBe(true)
      await compare('tfjs-layers classifier (softmax)', model, onnxOf(model), fashion.nhwc, fashion.count)
    } finally {
      model.dispose()
    }
  })

  it('refuses a graph it cannot express, with the reason', () => {
    const graph: ModelGraph = {
      arch: 'sequence',
      nodes: [
        { kind: 'input', name: 'input', shape: [5, 4] },
        { kind: 'dense', name: 'd', input: 'input', units: 3, useBias: true, activation: 'linear' }
      ],
      output: 'd',
      inputShape: [5, 4],
      numClasses: 3
    }
    const model = FunctionalModel.initialize(graph, 1)
    expect(() => onnxOf(model)).toThrow(/inputs of shape \[H, W, C\] or \[features\], not \[5, 4\]/)
    model.dispose()
  })
})

describe('ONNX export of models trained by the app', () => {
  const trainSpec = (arch: string) => ({
    name: `onnx ${arch}`,
    dataset: { id: 'fashion-mnist', trainLimit: 300, testLimit: 50 },
    model: { arch },
    train: { epochs: 1, batchSize: 32, learningRate: 0.05 },
    task: { kind: 'random', fraction: 0.1 },
    methods: [{ id: 'finetune', params: { epochs: 1 } }]
  })

  async function trainedModel(arch: string): Promise<string> {
    const { taskId, done } = await services.audits.start(trainSpec(arch))
    await done
    const original = services.store.runs.list(taskId).find((r) => r.method === 'original')!
    expect(original.status, original.error ?? '').toBe('done')
    return original.outputModelSha256!
  }

  const storedDir = (sha256: string) => resolve(services.paths.dataDir, services.store.models.find(sha256)!.path)

  it.each([['mlp'], ['cnn-small'], ['resnet-mini']])(
    '%s: exported from the store, onnxruntime gives the stored model logits',
    async (arch) => {
      const sha256 = await trainedModel(arch)
      const file = join(scratch.dir, `${arch}.onnx`)
      const written = await exportModelOnnx(services.store, services.paths.dataDir, sha256, file)
      expect(written.bytes).toBe(readFileSync(file).length)
      expect(decode(readFileSync(file)).metadataProps.find((p) => p.key === 'model_sha256')?.value).toBe(sha256)
      const { model } = await loadModel(storedDir(sha256))
      try {
        await compare(`${arch}, trained`, model, readFileSync(file), fashion.nhwc, fashion.count)
      } finally {
        model.dispose()
      }
      await expect(exportModelOnnx(services.store, services.paths.dataDir, sha256, file)).rejects.toThrow(/already exists/)
    },
    300_000
  )

  it('the command line picks ONNX for a .onnx path and refuses to overwrite', async () => {
    const sha256 = await trainedModel('cnn-small')
    const db = services.paths.dbFile
    const out = join(scratch.dir, 'new folder', 'cli-model.onnx')
    const first = await runAuditCli(['export-model', sha256, out, '--db', db])
    expect(first.code, first.stderr).toBe(0)
    expect(first.stdout).toMatch(/^exported to .*cli-model\.onnx \(ONNX, \d+ bytes, sha256 [0-9a-f]{64}\)/)
    expect(existsSync(out)).toBe(true)
    const { model } = await loadModel(storedDir(sha256))
    try {
      await compare('cnn-small via the command line', model, readFileSync(out), fashion.nhwc, fashion.count)
    } finally {
      model.dispose()
    }
    const again = await runAuditCli(['export-model', sha256, out, '--db', db])
    expect(again.code).toBe(2)
    expect(again.stderr).toMatch(/cannot export: .*cli-model\.onnx already exists/)
    const unknown = await runAuditCli(['export-model', 'f'.repeat(64), join(scratch.dir, 'none.onnx'), '--db', db])
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toMatch(/cannot export: No model ffffffffffff… in the store/)
  }, 300_000)
})
