import * as tf from '@tensorflow/tfjs'
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { basename } from 'node:path'
import type { OnnxValidation } from '@shared/api/contract'
import { convertOnnx, type ConvertedOnnx } from '../library/onnx/convert-onnx'
import { RUNTIME_NAME, runOnnxRuntime } from '../library/onnx/onnx-runtime'
import { AGREEMENT_SAMPLES, measureAgreement, nhwcToNchw } from '../library/onnx/output-agreement'
import type { Dataset } from './data/dataset'
import { isTrainableWeight } from './model/graph'
import { FunctionalModel } from './model/functional-model'
import { saveModel } from './model/model-files'
import type { Job, JobResult } from './protocol'

type ConvertJob = Extract<Job, { kind: 'convert-onnx' }>

function toModel(converted: ConvertedOnnx): FunctionalModel {
  const weights = new Map<string, tf.Variable>()
  try {
    for (const [name, w] of converted.weights) weights.set(name, tf.variable(tf.tensor(w.values, w.shape), isTrainableWeight(name)))
    return new FunctionalModel(converted.graph, weights)
  } catch (err) {
    for (const v of weights.values()) v.dispose()
    throw err
  }
}

/** The engine's outputs on the images as the original gives them: probabilities when it ends in a softmax. */
async function engineOutputs(model: FunctionalModel, images: Float32Array, shape: number[]): Promise<Float32Array> {
  const out = tf.tidy(() => {
    const logits = model.forward(tf.tensor(images, shape))
    return model.graph.outputSoftmax ? tf.softmax(logits) : logits
  })
  try {
    return (await out.data()) as Float32Array
  } finally {
    out.dispose()
  }
}

/**
 * Converts the .onnx file, runs the converted model and onnxruntime on the first test images, and
 * saves the model (model.json + weights, as any model) only when their outputs agree.
 */
export async function convertOnnxJob(
  job: ConvertJob,
  dataset: Dataset
): Promise<{ model: NonNullable<JobResult['model']>; validation: OnnxValidation }> {
  const fileName = basename(job.onnxPath)
  const bytes = new Uint8Array(await readFile(job.onnxPath))
  if (createHash('sha256').update(bytes).digest('hex') !== job.onnxSha256)
    throw new Error(`${fileName} changed while it was being imported`)
  const info = dataset.info
  const converted = convertOnnx(bytes, fileName, { name: info.name, inputShape: info.inputShape, numClasses: info.classNames.length })
  const model = toModel(converted)
  try {
    const batch = converted.runtimeInput.fixedBatch ?? 1
    const count = Math.floor(Math.min(job.samples, AGREEMENT_SAMPLES, dataset.test.count) / batch) * batch
    if (count === 0) throw new Error(`${info.name} has too few test images (${dataset.test.count}) to check the model against onnxruntime`)
    const [h, w, c] = info.inputShape as [number, number, number]
    const images = dataset.test.images.subarray(0, count * h * w * c)
    const ours = await engineOutputs(model, images, [count, h, w, c])
    const theirs = await runOnnxRuntime(bytes, converted.runtimeInput, nhwcToNchw(images, [count, h, w, c]), count, fileName)
    const agreement = measureAgreement(ours, theirs)
    const compared = converted.graph.outputSoftmax ? 'probabilities' : 'logits'
    if (agreement.nonFinite)
      throw new Error(
        `${fileName}: ${agreement.nonFinite === 'runtime' ? 'onnxruntime' : 'the converted model'} gives non-finite ${compared}`
      )
    if (!(agreement.maxAbsDiff <= agreement.tolerance))
      throw new Error(
        `${fileName}: the converted model's ${compared} differ from onnxruntime's by up to ${agreement.maxAbsDiff.toExponential(2)} on ${count} ${info.name} test images, more than the tolerance of ${agreement.tolerance.toExponential(2)}; the model was not imported`
      )
    const saved = await saveModel(model, job.outDir, {
      source: { format: 'onnx', file: fileName, sha256: job.onnxSha256, opset: converted.opset }
    })
    return {
      model: { dir: saved.dir, sha256: saved.sha256, bytes: saved.bytes, parameterCount: model.parameterCount(), arch: model.graph.arch },
      validation: {
        runtime: RUNTIME_NAME,
        samples: count,
        compared,
        tolerance: agreement.tolerance,
        maxAbsDiff: agreement.maxAbsDiff,
        notes: converted.notes
      }
    }
  } finally {
    model.dispose()
  }
}
