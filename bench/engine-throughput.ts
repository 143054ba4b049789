import * as tf from '@tensorflow/tfjs'
import { join } from 'node:path'
import { loadBuiltinDataset } from '../src/main/engine/data/dataset'
import { accuracy } from '../src/main/engine/eval/accuracy'
import { type ArchitectureId, ARCHITECTURES, buildArchitecture } from '../src/main/engine/model/architectures'
import { forwardFlopsPerSample, trainingFlopsPerSample } from '../src/main/engine/model/flops'
import { FunctionalModel } from '../src/main/engine/model/functional-model'
import { trainClassifier } from '../src/main/engine/train/loop'
import { toTensorSplit } from '../src/main/engine/train/tensor-data'
import type { Entry } from './entry'
import { PytorchReference } from './pytorch'

const BATCH = 128
const TRAIN_SAMPLES = 2560
const PEAK_N = 1024

/** Peak RSS of this process while `work` runs, sampled every 50 ms. */
async function withPeakRss<T>(work: () => Promise<T>): Promise<{ value: T; peakRssMb: number }> {
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
export async function engineThroughput(root: string, backend: { name: string; tfjsVersion: string }): Promise<Entry[]> {
  const reference = new PytorchReference(root)
  const data = await loadBuiltinDataset(join(root, 'resources'), 'fashion-mnist', { trainLimit: TRAIN_SAMPLES, testLimit: 5000 })
  const train = toTensorSplit(data.train, data.info.inputShape)
  const test = toTensorSplit(data.test, data.info.inputShape)
  const all = Int32Array.from({ length: train.count }, (_, i) => i)
  const sizes = { samples: TRAIN_SAMPLES, batch: BATCH }
  const rows: Row[] = []
  const add = async (name: string, ours: { value: number; peakRssMb: number }, flopsPerSample: number) => {
    const torch = await reference.run(name, sizes)
    rows.push({ name, ours: ours.value, pytorch: torch?.value ?? null, ratio: torch ? ours.value / torch.value : null, unit: 'samples/s', backend: backend.name, peakRssMb: ours.peakRssMb, pytorchPeakRssMb: torch?.peakRssMb ?? null, flopsPerSample })
  }
  for (const arch of ARCHITECTURES as readonly ArchitectureId[]) {
    const graph = buildArchitecture(arch, data.info.inputShape, 10)
    const model = FunctionalModel.initialize(graph, 0)
    // Two warm-up batches compile the kernels' shapes, as the reference's warm-up does, then one timed epoch.
    await trainClassifier(model, train, { indices: all.subarray(0, BATCH * 2), epochs: 1, batchSize: BATCH, optimizer: 'sgd', learningRate: 0.01, seed: 0 })
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
  tf.dispose([train.x, train.y, test.x, test.y])
  const ourPeak = matmulGflops()
  const torchPeak = await reference.run('matmul-peak', sizes)
  const peak = Math.max(ourPeak, torchPeak?.value ?? 0)
  const torchVersion = torchPeak ? `PyTorch ${torchPeak.version}` : `PyTorch not run: ${reference.missing}`
  process.stdout.write(`\nEngine throughput (${backend.name}, tfjs ${backend.tfjsVersion}; ${torchVersion}; 1 thread each; batch ${BATCH}, ${TRAIN_SAMPLES} Fashion-MNIST samples)\n`)
  process.stdout.write(`Machine peak, ${PEAK_N}² float32 matmul on one thread: ${torchPeak ? `${torchPeak.value.toFixed(1)} GFLOP/s (PyTorch), ` : ''}${ourPeak.toFixed(1)} GFLOP/s (${backend.name})\n\n`)
  process.stdout.write('| workload | ours (samples/s) | PyTorch | ours/PyTorch | MFLOP/sample | ours GFLOP/s | PyTorch GFLOP/s | ours % of peak | backend | peak RSS ours (MB) | peak RSS PyTorch (MB) |\n')
  process.stdout.write('|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|\n')
  const fmt = (v: number | null, digits: number) => (v === null ? '—' : v.toFixed(digits))
  for (const r of rows) {
    const gf = (v: number | null) => (v === null ? null : (v * r.flopsPerSample) / 1e9)
    process.stdout.write(
      `| ${r.name} | ${r.ours.toFixed(0)} | ${fmt(r.pytorch, 0)} | ${fmt(r.ratio, 2)} | ${(r.flopsPerSample / 1e6).toFixed(2)} | ${fmt(gf(r.ours), 2)} | ${fmt(gf(r.pytorch), 2)} | ${((100 * gf(r.ours)!) / peak).toFixed(1)} | ${r.backend} | ${r.peakRssMb.toFixed(0)} | ${fmt(r.pytorchPeakRssMb ?? null, 0)} |\n`
    )
  }
  const peakRow: Entry = { name: 'matmul-peak', ours: ourPeak, pytorch: torchPeak?.value ?? null, ratio: torchPeak ? ourPeak / torchPeak.value : null, unit: 'GFLOP/s', backend: backend.name, peakRssMb: process.memoryUsage().rss / 2 ** 20 }
  return [...rows, peakRow]
}
