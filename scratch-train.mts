import { selectBackend } from '/work/main/src/main/engine/backend/select'
import { loadBuiltinDataset } from '/work/main/src/main/engine/data/dataset'
import { buildArchitecture } from '/work/main/src/main/engine/model/architectures'
import { FunctionalModel } from '/work/main/src/main/engine/model/functional-model'
import { toTensorSplit } from '/work/main/src/main/engine/train/tensor-data'
import { trainClassifier } from '/work/main/src/main/engine/train/loop'
import { accuracy } from '/work/main/src/main/engine/eval/accuracy'
import { saveModel, loadModel } from '/work/main/src/main/engine/model/model-files'
import * as tf from '@tensorflow/tfjs'
const arch = (process.argv[2] ?? 'cnn-small') as 'cnn-small'
const epochs = Number(process.argv[3] ?? 3), lr = Number(process.argv[4] ?? 0.05), n = Number(process.argv[5] ?? 6000)
const b = await selectBackend()
console.log(b)
const ds = await loadBuiltinDataset('/work/main/resources', 'fashion-mnist', { trainLimit: n, testLimit: 1000 })
const tr = toTensorSplit(ds.train, [28, 28, 1]), te = toTensorSplit(ds.test, [28, 28, 1])
const m = FunctionalModel.initialize(buildArchitecture(arch, [28, 28, 1], 10), 0)
console.log('params', m.parameterCount())
let t0 = Date.now()
const r = await trainClassifier(m, tr, { indices: Int32Array.from({ length: tr.count }, (_, i) => i), epochs, batchSize: 128, optimizer: 'sgd', learningRate: lr, schedule: 'cosine', seed: 0 })
const secs = (Date.now() - t0) / 1000
console.log('train', r, secs, 's', (tr.count * epochs / secs).toFixed(0), 'samples/s')
t0 = Date.now()
console.log('test acc', await accuracy(m, te), 'train acc', await accuracy(m, tr), (Date.now() - t0) / 1000, 's eval')
const saved = await saveModel(m, '/tmp/scratch/model')
const back = await loadModel('/tmp/scratch/model')
console.log(saved.sha256 === back.sha256, 'reloaded test acc', await accuracy(back.model, te), tf.memory().numTensors)
const lm = await tf.loadLayersModel({ load: async () => { const fs = await import('node:fs'); const j = JSON.parse(fs.readFileSync('/tmp/scratch/model/model.json','utf8')); const w = fs.readFileSync('/tmp/scratch/model/weights.bin'); return { modelTopology: j.modelTopology, weightSpecs: j.weightsManifest[0].weights, weightData: w.buffer.slice(w.byteOffset, w.byteOffset + w.byteLength) } } })
console.log('tf.loadLayersModel layers', lm.layers.length)
