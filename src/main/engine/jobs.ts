import * as tf from '@tensorflow/tfjs'
import { join } from 'node:path'
import { parseTaskSpec, type TaskSpec, checkSpecAgainstDataset } from '../../shared/task-spec'
import { isMethodId } from '../../shared/methods'
import { selectBackend } from './backend/select'
import { loadBuiltinDataset, type Dataset } from './data/dataset'
import { makeForgetSplit } from './data/splits'
import { measureModel } from './eval/metrics'
import { buildArchitecture, type ArchitectureId } from './model/architectures'
import { FunctionalModel } from './model/functional-model'
import { loadModel, saveModel } from './model/model-files'
import { METHODS } from './methods/registry'
import { lossText } from './methods/retain-training'
import type { Job, JobResult, Phase } from './protocol'
import { trainClassifier } from './train/loop'
import { disposeTensorSplit, type TensorSplit, toTensorSplit } from './train/tensor-data'
import type { CancelToken } from './util/cancel'
import { hashSeed } from './util/random'

export interface JobContext {
  progress: (phase: Phase, fraction: number, detail: string) => void
  cancel: CancelToken
}

interface LoadedData {
  dataset: Dataset
  train: TensorSplit
  test: TensorSplit
}

// The engine process keeps the most recent dataset as tensors: every run of an audit uses the same one.
let cached: { key: string; data: LoadedData } | null = null

async function loadData(resourcesDir: string, spec: TaskSpec): Promise<LoadedData> {
  const key = JSON.stringify([resourcesDir, spec.dataset])
  if (cached?.key === key) return cached.data
  if (cached) {
    disposeTensorSplit(cached.data.train)
    disposeTensorSplit(cached.data.test)
    cached = null
  }
  const dataset = await loadBuiltinDataset(resourcesDir, spec.dataset.id, spec.dataset)
  const data = {
    dataset,
    train: toTensorSplit(dataset.train, dataset.info.inputShape),
    test: toTensorSplit(dataset.test, dataset.info.inputShape)
  }
  cached = { key, data }
  return data
}

// Share of a job's progress bar given to training or unlearning; evaluation and saving take the rest.
const WORK_SHARE = 0.85

export async function runJob(job: Job, ctx: JobContext): Promise<JobResult> {
  const backend = await selectBackend()
  const spec = parseTaskSpec(job.spec)
  ctx.progress('loading', 0, `loading ${spec.dataset.id}`)
  const data = await loadData(job.resourcesDir, spec)
  checkSpecAgainstDataset(spec, { ...data.dataset.info, numClasses: data.dataset.info.classNames.length })
  const split = makeForgetSplit(spec.task, data.train.labels, job.seed)
  const started = performance.now()
  let model: FunctionalModel
  let steps: number
  if (job.kind === 'train-original') {
    const graph = buildArchitecture(spec.model.arch as ArchitectureId, data.dataset.info.inputShape, data.dataset.info.classNames.length)
    model = FunctionalModel.initialize(graph, hashSeed(job.seed, 'original'))
    try {
      const result = await trainClassifier(model, data.train, {
        ...spec.train,
        indices: Int32Array.from({ length: data.train.count }, (_, i) => i),
        seed: hashSeed(job.seed, 'original-order'),
        cancel: ctx.cancel,
        onProgress: (s) => ctx.progress('training', (WORK_SHARE * s.step) / s.totalSteps, `epoch ${s.epoch + 1}/${spec.train.epochs}${lossText(s.loss)}`)
      })
      steps = result.steps
    } catch (err) {
      model.dispose()
      throw err
    }
  } else {
    if (!isMethodId(job.method.id)) throw new Error(`Unknown method "${job.method.id}"`)
    const method = spec.methods.find((m) => m.id === job.method.id && JSON.stringify(m.params) === JSON.stringify(job.method.params))
    const { model: original } = await loadModel(job.originalDir)
    try {
      const outcome = await METHODS[job.method.id]({
        original,
        train: data.train,
        split,
        spec,
        params: method?.params ?? job.method.params,
        seed: job.seed,
        cancel: ctx.cancel,
        progress: (f, detail) => ctx.progress('unlearning', WORK_SHARE * f, detail)
      })
      model = outcome.model
      steps = outcome.steps
    } finally {
      original.dispose()
    }
  }
  const seconds = (performance.now() - started) / 1000
  try {
    ctx.progress('evaluating', WORK_SHARE, 'measuring accuracy')
    const metrics = { ...(await measureModel(model, data.train, data.test, split)), seconds }
    ctx.progress('saving', 0.98, 'writing the model files')
    const saved = await saveModel(model, join(job.outDir, 'model'), { seed: job.seed })
    return {
      backend: backend.name,
      tfjsVersion: backend.tfjsVersion,
      seconds,
      steps,
      metrics,
      model: { dir: saved.dir, sha256: saved.sha256, bytes: saved.bytes, parameterCount: model.parameterCount(), arch: model.graph.arch },
      dataset: { id: data.dataset.info.id, sha256: data.dataset.sha256, trainCount: data.train.count, testCount: data.test.count },
      split: { forgetCount: split.forget.length, retainCount: split.retain.length, forgetSha256: split.forgetSha256 }
    }
  } finally {
    model.dispose()
  }
}

/** Tensors alive outside the dataset cache; the engine logs it so leaks show up in long runs. */
export function liveTensorCount(): number {
  return tf.memory().numTensors
}
