import * as tf from '@tensorflow/tfjs'
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { checkSpecAgainstDataset, type JobTask } from '@shared/task-spec'
import { selectBackend } from './backend/select'
import type { DatasetRoots } from './data/catalog'
import { loadDataset, type Dataset } from './data/dataset'
import { prepareTaskData, type TaskData } from './data/task-data'
import { collapseReason, nonFiniteWeights } from './eval/health'
import { measureModel, type Metrics } from './eval/metrics'
import { buildArchitecture } from './model/architectures'
import { FunctionalModel } from './model/functional-model'
import { loadModel, saveModel } from './model/model-files'
import { runMethod } from './methods/registry'
import { lossText } from './methods/retain-training'
import { generateCodes, loadCodes, type MnemonicCodes, saveCodes } from './train/mnemonic-codes'
import type { Job, JobResult, Phase } from './protocol'
import { DivergenceError } from './train/divergence'
import { trainClassifier } from './train/loop'
import { disposeTensorSplit, type TensorSplit, toTensorSplit } from './train/tensor-data'
import { accuracy } from './eval/accuracy'
import { attackCell } from './eval/attack-models'
import { convertOnnxJob } from './convert-onnx-job'
import { writeOnnxFile } from '../library/onnx/export-file'
import { referenceHalf } from './data/reference-halves'
import type { CancelToken } from './util/cancel'
import { hashSeed } from './util/random'
import { tuneMethod } from './tuning/tune-method'
import type { TuningRecord } from '@shared/tuning'

export interface JobContext {
  progress: (phase: Phase, fraction: number, detail: string) => void
  cancel: CancelToken
}

interface LoadedData {
  dataset: Dataset
  test: TensorSplit
}

interface LoadedTask {
  taskData: TaskData
  train: TensorSplit
}

// The engine process keeps the most recent dataset and task as tensors: the runs of one audit
// seed share them.
let cachedData: { key: string; data: LoadedData } | null = null
let cachedTask: { key: string; task: LoadedTask } | null = null

async function loadData(roots: DatasetRoots, spec: JobTask): Promise<LoadedData> {
  const key = JSON.stringify([roots, spec.dataset])
  if (cachedData?.key === key) return cachedData.data
  releaseTask()
  if (cachedData) disposeTensorSplit(cachedData.data.test)
  cachedData = null
  const dataset = await loadDataset(roots, spec.dataset.id, spec.dataset)
  const data = { dataset, test: toTensorSplit(dataset.test, dataset.info.inputShape) }
  cachedData = { key, data }
  return data
}

function releaseTask(): void {
  if (cachedTask) disposeTensorSplit(cachedTask.task.train)
  cachedTask = null
}

function loadTask(data: LoadedData, spec: JobTask, seed: number): LoadedTask {
  const key = JSON.stringify([spec.dataset, spec.task, seed])
  if (cachedTask?.key === key) return cachedTask.task
  releaseTask()
  const info = data.dataset.info
  const taskData = prepareTaskData(spec.task, data.dataset.train, info.inputShape, info.classNames.length, seed)
  const task = { taskData, train: toTensorSplit(taskData.train, info.inputShape) }
  cachedTask = { key, task }
  return task
}

// Share of a job's progress bar given to training or unlearning; evaluation and saving take the rest.
const WORK_SHARE = 0.85

function directoryBytes(dir: string): number {
  return readdirSync(dir).reduce((n, f) => n + statSync(join(dir, f)).size, 0)
}

interface Produced {
  model: FunctionalModel
  /** Set when the job measured an existing model instead of making one: nothing is saved. */
  reused: { dir: string; sha256: string } | null
  original: FunctionalModel | null
  codes: MnemonicCodes | null
  steps: number
  extraMetrics: Metrics
  /** A tuned method's trials. */
  tuning?: TuningRecord
  /** A reference model's half of the training pool, recorded in its files for the attacks to check. */
  half?: { sha256: string; indices: Int32Array }
}

/** A model from files (imported, or an earlier run) must read this dataset's images and name its classes. */
function assertFitsDataset(model: FunctionalModel, info: LoadedData['dataset']['info'], what: string): void {
  const got = model.graph.inputShape
  if (got.join(',') !== info.inputShape.join(','))
    throw new Error(`${what} takes inputs of shape [${got.join(', ')}], but ${info.name} images are [${info.inputShape.join(', ')}]`)
  if (model.graph.numClasses !== info.classNames.length)
    throw new Error(`${what} outputs ${model.graph.numClasses} classes, but ${info.name} has ${info.classNames.length}`)
}

/** The model's accuracy on the test split; for random examples of some classes, on those classes only. */
function heldOutAccuracy(model: FunctionalModel, test: TensorSplit, task: JobTask['task']): Promise<number> {
  const classes = task.kind === 'random' && task.classes ? new Set(task.classes) : null
  const indices = classes ? Int32Array.from(Array.from(test.labels.keys()).filter((i) => classes.has(test.labels[i]!))) : undefined
  return accuracy(model, test, indices)
}

/** A fresh model of the task's architecture, seeded. */
function initialModel(spec: JobTask, info: LoadedData['dataset']['info'], seed: number): FunctionalModel {
  if (!('arch' in spec.model)) throw new Error('This audit starts from a given model; there is no original to train')
  const graph = buildArchitecture(spec.model.arch, info.inputShape, info.classNames.length, { width: spec.model.width })
  return FunctionalModel.initialize(graph, hashSeed(seed, 'original'))
}

/** A given model that is trained further (to learn Mnemonic codes); it must read this dataset. */
async function givenModelToFineTune(dir: string, info: LoadedData['dataset']['info']): Promise<FunctionalModel> {
  const { model } = await loadModel(dir)
  try {
    assertFitsDataset(model, info, 'The given model')
  } catch (err) {
    model.dispose()
    throw err
  }
  return model
}

/** Trains the original or runs the unlearning method: the model the job is about. */
async function produceModel(
  job: Job,
  spec: JobTask,
  data: LoadedData,
  train: TensorSplit,
  taskData: TaskData,
  ctx: JobContext
): Promise<Produced> {
  const split = taskData.split
  if (job.kind === 'train-original') {
    const model = job.startDir
      ? await givenModelToFineTune(job.startDir, data.dataset.info)
      : initialModel(spec, data.dataset.info, job.seed)
    const graph = model.graph
    const mnemonic = spec.train.mnemonicCodes
    const codes = mnemonic ? generateCodes(graph.numClasses, graph.inputShape, mnemonic.tMix, job.seed) : null
    const codeTensor = codes ? tf.tensor(codes.values, [codes.classes, ...codes.inputShape]) : null
    try {
      const result = await trainClassifier(model, train, {
        ...spec.train,
        ...(codes && codeTensor ? { mnemonic: { codes: codeTensor, tMix: codes.tMix } } : {}),
        indices: Int32Array.from({ length: train.count }, (_, i) => i),
        seed: hashSeed(job.seed, 'original-order'),
        cancel: ctx.cancel,
        onProgress: (s) =>
          ctx.progress('training', (WORK_SHARE * s.step) / s.totalSteps, `epoch ${s.epoch + 1}/${spec.train.epochs}${lossText(s.loss)}`)
      })
      return { model, reused: null, original: null, codes, steps: result.steps, extraMetrics: {} }
    } catch (err) {
      model.dispose()
      throw err
    } finally {
      codeTensor?.dispose()
    }
  }
  if (job.kind === 'train-reference') {
    const original = (await loadModel(job.originalDir)).model
    const half = referenceHalf(train.count, job.referenceSeed, job.index)
    const model = FunctionalModel.initialize(original.graph, hashSeed(job.referenceSeed, `reference-${job.index}`))
    original.dispose()
    try {
      const result = await trainClassifier(model, train, {
        ...spec.train,
        indices: half.indices,
        seed: hashSeed(job.referenceSeed, `reference-order-${job.index}`),
        cancel: ctx.cancel,
        onProgress: (s) =>
          ctx.progress(
            'training',
            (WORK_SHARE * s.step) / s.totalSteps,
            `half ${job.index + 1}: epoch ${s.epoch + 1}/${spec.train.epochs}${lossText(s.loss)}`
          )
      })
      return { model, reused: null, original: null, codes: null, steps: result.steps, extraMetrics: {}, half }
    } catch (err) {
      model.dispose()
      throw err
    }
  }
  if (job.kind === 'attack') throw new Error('An attack job makes no model')
  if (job.kind === 'convert-onnx') throw new Error('A convert-onnx job makes its model in convertOnnxJob')
  if (job.kind === 'export-onnx') throw new Error('An export-onnx job makes no model')
  if (job.kind === 'evaluate') {
    const loaded = await loadModel(job.modelDir)
    try {
      assertFitsDataset(loaded.model, data.dataset.info, 'The model')
    } catch (err) {
      loaded.model.dispose()
      throw err
    }
    const original = job.originalDir ? (await loadModel(job.originalDir)).model : null
    return {
      model: loaded.model,
      reused: { dir: job.modelDir, sha256: loaded.sha256 },
      original,
      codes: await loadCodes(job.modelDir),
      steps: 0,
      extraMetrics: { reusedModel: 1 }
    }
  }
  const original = (await loadModel(job.originalDir)).model
  const codes = await loadCodes(job.originalDir)
  try {
    assertFitsDataset(original, data.dataset.info, 'The original model')
    // An extra retrain of the privacy band: the same split (job.seed), another initialisation and order.
    const seed = job.replica ? hashSeed(job.seed, `retrain-replica-${job.replica}`) : job.seed
    const progress = (from: number, to: number) => (f: number, detail: string) =>
      ctx.progress('unlearning', WORK_SHARE * (from + (to - from) * f), detail)
    const trialsShare = job.tuning ? job.tuning.settings.trials / (job.tuning.settings.trials + 1) : 0
    const tuned = job.tuning
      ? await tuneMethod({
          method: job.method.id,
          params: job.method.params,
          settings: job.tuning.settings,
          objective: job.tuning.objective,
          retrain: job.tuning.retrain,
          taskData,
          inputs: { original, train, spec, seed, codes, cancel: ctx.cancel },
          progress: progress(0, trialsShare)
        })
      : null
    const runProgress = progress(trialsShare, 1)
    // The settings are parsed by the method's catalog schema here, once, before any work starts.
    const outcome = await runMethod(job.method.id, tuned?.params ?? job.method.params, {
      original,
      train,
      split,
      spec,
      seed,
      codes,
      heldOutAccuracy: () => heldOutAccuracy(original, data.test, spec.task),
      cancel: ctx.cancel,
      progress: tuned ? (f, detail) => runProgress(f, `kept trial ${tuned.record.kept + 1}: ${detail}`) : runProgress
    })
    return {
      model: outcome.model,
      reused: null,
      original,
      codes,
      steps: outcome.steps,
      extraMetrics: {
        ...outcome.extraMetrics,
        ...(tuned ? { tuningTrials: tuned.record.trials.length, tuningSeconds: trialSeconds(tuned.record) } : {})
      },
      ...(tuned ? { tuning: tuned.record } : {})
    }
  } catch (err) {
    original.dispose()
    throw err
  }
}

const trialSeconds = (record: TuningRecord) => record.trials.reduce((sum, t) => sum + t.seconds, 0)

export async function runJob(job: Job, ctx: JobContext): Promise<JobResult> {
  const backend = await selectBackend()
  const spec = job.spec
  ctx.progress('loading', 0, `loading ${spec.dataset.id}`)
  const data = await loadData({ resourcesDir: job.resourcesDir, dataDir: job.dataDir }, spec)
  checkSpecAgainstDataset(spec, { ...data.dataset.info, numClasses: data.dataset.info.classNames.length })
  const { taskData, train } = loadTask(data, spec, job.seed)
  const split = taskData.split
  const info = data.dataset.info
  const started = performance.now()
  const elapsed = () => (performance.now() - started) / 1000
  const runFacts = (seconds: number, steps: number) => ({
    backend: backend.name,
    backendSkipped: backend.skipped,
    tfjsVersion: backend.tfjsVersion,
    seconds,
    steps,
    dataset: { id: info.id, sha256: data.dataset.sha256, trainCount: train.count, testCount: data.test.count },
    split: {
      forgetCount: split.forget.length,
      retainCount: split.retain.length,
      forgetSha256: split.forgetSha256,
      forgetIndices: Array.from(split.forget),
      corruptedIndices: taskData.corruption ? Array.from(taskData.corruption.indices) : null,
      corruptedSha256: taskData.corruption?.sha256 ?? null
    }
  })
  if (job.kind === 'attack') {
    const attacks = await attackCell({ ...job, forget: split.forget, train, test: data.test }, (f, detail) =>
      ctx.progress('evaluating', f, detail)
    )
    return { ...runFacts(elapsed(), 0), failure: null, model: null, metrics: {}, attacks }
  }
  if (job.kind === 'export-onnx') {
    ctx.progress('saving', 0.5, 'writing the ONNX file')
    const exported = await writeOnnxFile(job.modelDir, job.outFile, job.metadata)
    return { ...runFacts(elapsed(), 0), failure: null, model: null, metrics: {}, exported }
  }
  if (job.kind === 'convert-onnx') {
    ctx.progress('evaluating', 0.5, 'comparing with onnxruntime')
    const { model, validation } = await convertOnnxJob(job, data.dataset)
    return { ...runFacts(elapsed(), 0), failure: null, model, metrics: {}, onnxValidation: validation }
  }
  let produced: Produced
  try {
    produced = await produceModel(job, spec, data, train, taskData, ctx)
  } catch (err) {
    if (!(err instanceof DivergenceError)) throw err
    // What is known of a diverged run: its cost up to the failure.
    const seconds = elapsed()
    const steps = err.step ?? 0
    return {
      ...runFacts(seconds, steps),
      failure: err.message,
      model: null,
      metrics: { seconds, ...(err.step === null ? {} : { divergedAtStep: err.step }) }
    }
  }
  const { model, reused, original, codes, steps, extraMetrics } = produced
  // A tuned run's trials are recorded however its final run ends.
  const tuning = produced.tuning ? { tuning: produced.tuning } : {}
  // The method's own cost: its trials are counted apart (tuningSeconds).
  const seconds = elapsed() - (produced.tuning ? trialSeconds(produced.tuning) : 0)
  try {
    const broken = await nonFiniteWeights(model)
    if (broken.length > 0) {
      return {
        ...runFacts(seconds, steps),
        ...tuning,
        failure: `The model has non-finite weights (${broken.slice(0, 3).join(', ')}${broken.length > 3 ? ', …' : ''})`,
        model: null,
        metrics: { ...extraMetrics, seconds }
      }
    }
    ctx.progress('evaluating', WORK_SHARE, 'measuring accuracy')
    const evaluation = {
      task: spec.task,
      taskData,
      train,
      test: data.test,
      numClasses: info.classNames.length,
      inputShape: info.inputShape,
      seed: job.seed
    }
    const metrics = { ...(await measureModel(model, evaluation, original ?? undefined)), ...extraMetrics, seconds }
    // Only unlearning runs are judged for collapse: a weak original is the auditor's setting, not a failure.
    const collapsed = job.kind === 'unlearn' ? collapseReason(metrics, info.classNames.length) : null
    if (collapsed) return { ...runFacts(seconds, steps), ...tuning, failure: collapsed, model: null, metrics }
    const modelInfo = { parameterCount: model.parameterCount(), arch: model.graph.arch }
    if (reused)
      return {
        ...runFacts(seconds, steps),
        ...tuning,
        failure: null,
        metrics,
        model: { ...modelInfo, dir: reused.dir, sha256: reused.sha256, bytes: directoryBytes(reused.dir) }
      }
    ctx.progress('saving', 0.98, 'writing the model files')
    const saved = await saveModel(model, join(job.outDir, 'model'), {
      seed: job.seed,
      mnemonicCodes: codes !== null,
      ...(produced.half
        ? { reference: { index: (job as { index: number }).index, poolSize: train.count, sha256: produced.half.sha256 } }
        : {})
    })
    // Codes stay with every model derived from a code-trained one, so it can be forgotten from again.
    if (codes) await saveCodes(saved.dir, codes)
    return {
      ...runFacts(seconds, steps),
      ...tuning,
      failure: null,
      metrics,
      model: { ...modelInfo, dir: saved.dir, sha256: saved.sha256, bytes: saved.bytes }
    }
  } finally {
    model.dispose()
    original?.dispose()
  }
}
