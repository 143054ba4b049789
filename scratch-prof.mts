import * as tf from '@tensorflow/tfjs'
import { selectBackend } from '/work/main/src/main/engine/backend/select'
import { buildArchitecture } from '/work/main/src/main/engine/model/architectures'
import { FunctionalModel } from '/work/main/src/main/engine/model/functional-model'
import { meanCrossEntropy } from '/work/main/src/main/engine/train/loss'
await selectBackend()
const m = FunctionalModel.initialize(buildArchitecture((process.argv[2] ?? 'cnn-small') as 'cnn-small', [28, 28, 1], 10), 0)
const x = tf.randomUniform([128, 28, 28, 1]), y = tf.tensor1d(Array.from({ length: 128 }, (_, i) => i % 10), 'int32')
const vars = m.trainableVariables()
const step = () => tf.tidy(() => { const { value, grads } = tf.variableGrads(() => meanCrossEntropy(m.forward(x, { training: true }), y), vars); vars.forEach(v => v.assign(tf.sub(v, tf.mul(grads[v.name]!, 0.01)))); return value })
step().dispose()
let t = Date.now(); for (let i = 0; i < 5; i++) (await step().data()); console.log('ms/step', (Date.now() - t) / 5)
const prof = await tf.profile(() => { step().dataSync() })
const agg = new Map<string, number>()
for (const k of prof.kernels) agg.set(k.name, (agg.get(k.name) ?? 0) + (k.kernelTimeMs as number))
console.log([...agg].sort((a, b) => b[1] - a[1]).slice(0, 15).map(([k, v]) => `${k}: ${v.toFixed(1)}`).join('\n'))
