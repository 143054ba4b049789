import * as tf from '@tensorflow/tfjs'
import type { MethodParams } from '../../../shared/methods'
import { accuracy } from '../eval/accuracy'
import type { FunctionalModel } from '../model/functional-model'
import { gatherBatch, type TensorSplit } from '../train/tensor-data'
import { throwIfCancelled, yieldToEventLoop } from '../util/cancel'
import type { UnlearningMethod } from './context'

/**
 * Potion: adaptive, label-free selective synaptic dampening. Parameters far more important to the
 * forget set than to the retain set (importance = mean |∂‖f(x)‖₂/∂θ|, no labels needed) are
 * shrunk; the selection threshold loosens step by step until the forget set is forgotten.
 */
async function importance(model: FunctionalModel, data: TensorSplit, indices: Int32Array, batchSize: number): Promise<Float32Array[]> {
  const vars = model.trainableVariables()
  const sums = vars.map((v) => tf.variable(tf.zerosLike(v), false))
  let batches = 0
  try {
    for (let start = 0; start < indices.length; start += batchSize) {
      const { x } = gatherBatch(data, indices.subarray(start, start + batchSize))
      tf.tidy(() => {
        const { grads } = tf.variableGrads(() => tf.mean(tf.norm(model.forward(x), 'euclidean', 1)) as tf.Scalar, vars)
        vars.forEach((v, i) => sums[i]!.assign(tf.add(sums[i]!, tf.abs(grads[v.name]!))))
      })
      x.dispose()
      batches++
      await yieldToEventLoop()
    }
    return Promise.all(sums.map(async (s) => Float32Array.from(await s.data(), (v) => v / Math.max(batches, 1))))
  } finally {
    sums.forEach((s) => s.dispose())
  }
}

function percentile(values: Float32Array, pct: number): number {
  const sorted = Float32Array.from(values).sort()
  const k = Math.min(sorted.length - 1, Math.max(0, Math.ceil((pct / 100) * sorted.length) - 1))
  return sorted[k]!
}

export const potion: UnlearningMethod = async (ctx) => {
  const p = ctx.params as MethodParams<'potion'>
  const batch = ctx.spec.train.batchSize
  const forgetImp = await importance(ctx.original, ctx.train, ctx.split.forget, batch)
  const retainImp = await importance(ctx.original, ctx.train, ctx.split.retain, batch)
  const ratios = new Float32Array(forgetImp.reduce((n, a) => n + a.length, 0))
  let offset = 0
  forgetImp.forEach((f, i) => {
    const r = retainImp[i]!
    for (let j = 0; j < f.length; j++) ratios[offset + j] = f[j]! / Math.max(r[j]!, 1e-12)
    offset += f.length
  })
  const startAccuracy = await accuracy(ctx.original, ctx.train, ctx.split.forget)
  const target = Math.max(p.relativeCut * startAccuracy, 0)
  let frac = ctx.split.forget.length / (ctx.split.forget.length + ctx.split.retain.length)
  let model: FunctionalModel | null = null
  let tries = 0
  for (; tries < p.maxTries; tries++) {
    throwIfCancelled(ctx.cancel)
    model?.dispose()
    model = ctx.original.clone()
    const alpha = percentile(ratios, 100 - Math.log(1 + 100 * frac))
    model.trainableVariables().forEach((v, i) => {
      const f = forgetImp[i]!
      const r = retainImp[i]!
      const factor = Float32Array.from(f, (fv, j) => (fv > alpha * r[j]! ? Math.min(1, (p.lambda * r[j]!) / Math.max(fv, 1e-12)) : 1))
      tf.tidy(() => v.assign(tf.mul(v, tf.tensor(factor, v.shape))))
    })
    const forgetAccuracy = await accuracy(model, ctx.train, ctx.split.forget)
    ctx.progress((tries + 1) / p.maxTries, `try ${tries + 1}: forget accuracy ${forgetAccuracy.toFixed(2)}`)
    if (forgetAccuracy <= target || forgetAccuracy <= p.absoluteCut) break
    frac *= 1.1
  }
  return { model: model!, steps: 0, extraMetrics: { potionTries: tries + 1 } }
}
