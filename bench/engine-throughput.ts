import * as tf from '@tensorflow/tfjs'
import { join } from 'node:path'
import { loadBuiltinDataset } from '@main/engine/data/dataset'
import { accuracy } from '@main/engine/eval/accuracy'
import { type ArchitectureId, buildArchitecture } from '@main/engine/model/architectures'
import { forwardFlopsPerSample, trainingFlopsPerSample } from '@main/engine/model/flops'
import { FunctionalModel } from '@main/engine/model/functional-model'
import { trainClassifier } from '@main/engine/train/loop'
import { type TensorSplit, toTensorSplit } from '@main/engine/train/tensor-data'
import { type BackendName, selectBackend } from '@main/engine/backend/select'
import type { Entry } from './entry'
import { PytorchReference } from './pytorch'

const BATCH = 128
const TRAIN_SAMPLES = 2560
const PEAK_N = 1024
// The small architectures, at width 1 on Fashion-MNIST; the ResNets for CIFAR-sized images have their own table (zoo-throughput.ts).
const TABLE_ARCHITECTURES: ArchitectureId[] = ['mlp', 'cnn-small', 'resnet-mini']

/** Peak RSS of this process while `work` runs, sampled every 50 ms. */
export async function withPeakRss<T>(work: () => Promise<T>): Promise<{ value: T; peakRssMb: number }> {
  let peak = process.memoryUsage().rss
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50)
  try {
    const value = await work()
    peak = Math.max(peak, process.memoryUsage().rss)
    return { value, peakRssMb: peak / 2 ** 20 }
  } finally {
    clearInterval(timer)
  }
}

/** GFLOP/s of a square float32 matmul on the engine's backend. */
function matmulGflops(): number {
  const a = tf.randomNormal([PEAK_N, PEAK_N])
  const b = tf.randomNormal([PEAK_N, PEAK_N])
  tf.matMul(a, b).dispose()
  const reps = 10
  const t = performance.now()
  for (let i = 0; i < reps; i++) tf.matMul(a, b).dataSync()
  const seconds = (performance.now() - t) / 1000 / reps
  tf.dispose([a, b])
  return (2 * PEAK_N ** 3) / seconds / 1e9
}

interface Row extends Entry {
  pytorch: number | null
  ratio: number | null
  flopsPerSample: number
}

/**
 * Training and evaluation throughput of each architecture at batch 128, each measurement followed
 * at once by the PyTorch reference's of the same workload, then a table against the machine's peak.
 */
export async function engineThroughput(root: string, backends: BackendName[]): Promise<Entry[]> {
  const reference = new PytorchReference(root)
  // The reference runs once per workload; every backend's row is set beside the same PyTorch number.
  const torchRuns = new Map<string, Awaited<ReturnType<PytorchReference['run']>>>()
  const torchRun = async (name: string, sizes: { samples: number; batch: number }) => {
    if (!torchRuns.has(name)) torchRuns.set(name, await reference.run(name, sizes))
    return torchRuns.get(name)!
  }
  const data = await loadBuiltinDataset(join(root, 'resources'), 'fashion-mnist', { trainLimit: TRAIN_SAMPLES, testLimit: 5000 })
  const train = toTensorSplit(data.train, data.info.inputShape)
  const test = toTensorSplit(data.test, data.info.inputShape)
  const all = Int32Array.from({ length: train.count }, (_, i) => i)
  const sizes = { samples: TRAIN_SAMPLES, batch: BATCH }
  const rows: Row[] = []
  const peaks: Entry[] = []
  let tfjsVersion = ''
  for (const name of backends) {
    const backend = await selectBackend(name)
    tfjsVersion = backend.tfjsVersion
    const add = async (workload: string, ours: { value: number; peakRssMb: number }, flopsPerSample: number) => {
      const torch = await torchRun(workload, sizes)
      rows.push({
        name: workload,
        ours: ours.value,
        pytorch: torch?.value ?? null,
        ratio: torch ? ours.value / torch.value : null,
        unit: 'samples/s',
        backend: backend.name,
        peakRssMb: ours.peakRssMb,
        pytorchPeakRssMb: torch?.peakRssMb ?? null,
        flopsPerSample
      })
    }
    await archThroughputs(train, test, all, data.info.inputShape, add)
    // On native the matmul is oneDNN's: the machine's peak, measured in the same run.
    peaks.push({
      name: 'matmul-peak',
      ours: matmulGflops(),
      unit: 'GFLOP/s',
      backend: backend.name,
      peakRssMb: process.memoryUsage().rss / 2 ** 20
    })
  }
  tf.dispose([train.x, train.y, test.x, test.y])
  const torchPeak = await torchRun('matmul-peak', sizes)
  for (const p of peaks) Object.assign(p, { pytorch: torchPeak?.value ?? null, ratio: torchPeak ? p.ours / torchPeak.value : null })
  const peak = Math.max(...peaks.map((p) => p.ours), torchPeak?.value ?? 0)
  const torchVersion = torchPeak ? `PyTorch ${torchPeak.version}` : `PyTorch not run: ${reference.missing}`
  process.stdout.write(
    `\nEngine throughput (${backends.join(' and ')}, tfjs ${tfjsVersion}; ${torchVersion}; 1 thread each; batch ${BATCH}, ${TRAIN_SAMPLES} Fashion-MNIST samples)\n`
  )
  process.stdout.write(
    `Machine peak, ${PEAK_N}² float32 matmul on one thread: ${torchPeak ? `${torchPeak.value.toFixed(1)} GFLOP/s (PyTorch), ` : ''}${peaks.map((p) => `${p.ours.toFixed(1)} GFLOP/s (${p.backend})`).join(', ')}\n\n`
  )
  printThroughputTable(rows, peak)
  return [...rows, ...peaks]
}

type AddRow = (workload: string, ours: { value: number; peakRssMb: number }, flopsPerSample: number) => Promise<void>

/** Training and evaluation throughput of every architecture on the active backend. */
async function archThroughputs(train: TensorSplit, test: TensorSplit, all: Int32Array, inputShape: number[], add: AddRow): Promise<void> {
  for (const arch of TABLE_ARCHITECTURES) {
    const graph = buildArchitecture(arch, inputShape, 10)
    const model = FunctionalModel.initialize(graph, 0)
    // Two warm-up batches compile the kernels' shapes, as the reference's warm-up does, then one timed epoch.
    await trainClassifier(model, train, {
      indices: all.subarray(0, BATCH * 2),
      epochs: 1,
      batchSize: BATCH,
      optimizer: 'sgd',
      learningRate: 0.01,
      seed: 0
    })
    const trained = await withPeakRss(async () => {
      const t = performance.now()
      await trainClassifier(model, train, { indices: all, epochs: 1, batchSize: BATCH, optimizer: 'sgd', learningRate: 0.01, seed: 1 })
      return train.count / ((performance.now() - t) / 1000)
    })
    await add(`${arch}-train`, trained, trainingFlopsPerSample(graph))
    const evaluated = await withPeakRss(async () => {
      const t = performance.now()
      await accuracy(model, test)
      return test.count / ((performance.now() - t) / 1000)
    })
    await add(`${arch}-eval`, evaluated, forwardFlopsPerSample(graph))
    model.dispose()
  }
}

function printThroughputTable(rows: Row[], peak: number): void {
  process.stdout.write(
    '| workload | backend | ours (samples/s) | PyTorch | ours/PyTorch | MFLOP/sample | ours GFLOP/s | PyTorch GFLOP/s | ours % of peak | peak RSS ours (MB) | peak RSS PyTorch (MB) |\n'
  )
  process.stdout.write('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n')
  const fmt = (v: number | null, digits: number) => (v === null ? '—' : v.toFixed(digits))
  for (const r of [...rows].sort((a, b) => a.name.localeCompare(b.name))) {
    const gf = (v: number | null) => (v === null ? null : (v * r.flopsPerSample) / 1e9)
    process.stdout.write(
      `| ${r.name} | ${r.backend} | ${r.ours.toFixed(0)} | ${fmt(r.pytorch, 0)} | ${fmt(r.ratio, 2)} | ${(r.flopsPerSample / 1e6).toFixed(2)} | ${fmt(gf(r.ours), 2)} | ${fmt(gf(r.pytorch), 2)} | ${((100 * gf(r.ours)!) / peak).toFixed(1)} | ${r.peakRssMb.toFixed(0)} | ${fmt(r.pytorchPeakRssMb ?? null, 0)} |\n`
    )
  }
}
