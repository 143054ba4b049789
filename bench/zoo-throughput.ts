import * as tf from '@tensorflow/tfjs'
import { type BackendName, selectBackend } from '@main/engine/backend/select'
import { type ArchitectureId, buildArchitecture } from '@main/engine/model/architectures'
import { trainingFlopsPerSample } from '@main/engine/model/flops'
import { FunctionalModel } from '@main/engine/model/functional-model'
import { trainClassifier } from '@main/engine/train/loop'
import type { TensorSplit } from '@main/engine/train/tensor-data'
import { withPeakRss } from './engine-throughput'
import type { Entry } from './entry'
import { PytorchReference } from './pytorch'

const BATCH = 128
const SAMPLES = 1280
const SHAPE = [32, 32, 3]
const INPUT = 'random-32x32x3'

/** The ResNets at the widths a CPU trains in minutes, on CIFAR-sized inputs. */
const WORKLOADS: Array<{ arch: ArchitectureId; width: number }> = [
  { arch: 'resnet-9', width: 0.5 },
  { arch: 'resnet-18', width: 0.25 }
]

const rowName = (w: { arch: string; width: number }) => `${w.arch}-w${w.width}-32x32x3-train`

/** Seeded noise images and labels: the speed, not the accuracy, is measured (PyTorch draws its own the same way). */
function randomSplit(): TensorSplit {
  const labels = Int32Array.from({ length: SAMPLES }, (_, i) => (i * 7) % 10)
  return { x: tf.randomNormal([SAMPLES, ...SHAPE], 0, 1, 'float32', 0), y: tf.tensor1d(labels, 'int32'), labels, count: SAMPLES }
}

/**
 * Training throughput of ResNet-9 and ResNet-18 on 32×32×3 inputs at batch 128, as the main table
 * measures the small architectures (two warm-up batches, one timed epoch, SGD with momentum), each
 * followed by the same workload in PyTorch on one thread.
 */
export async function zooThroughput(root: string, backends: BackendName[]): Promise<Entry[]> {
  const reference = new PytorchReference(root)
  const torch = new Map<string, Awaited<ReturnType<PytorchReference['run']>>>()
  const rows: Entry[] = []
  for (const name of backends) {
    const backend = await selectBackend(name)
    const data = randomSplit()
    const all = Int32Array.from({ length: SAMPLES }, (_, i) => i)
    for (const w of WORKLOADS) {
      const graph = buildArchitecture(w.arch, SHAPE, 10, { width: w.width })
      const model = FunctionalModel.initialize(graph, 0)
      const recipe = { epochs: 1, batchSize: BATCH, optimizer: 'sgd', learningRate: 0.01, momentum: 0.9 } as const
      await trainClassifier(model, data, { ...recipe, indices: all.subarray(0, 2 * BATCH), seed: 0 })
      const trained = await withPeakRss(async () => {
        const t = performance.now()
        await trainClassifier(model, data, { ...recipe, indices: all, seed: 1 })
        return SAMPLES / ((performance.now() - t) / 1000)
      })
      model.dispose()
      const key = rowName(w)
      if (!torch.has(key))
        torch.set(key, await reference.run(`${w.arch}-train`, { samples: SAMPLES, batch: BATCH, width: w.width, input: INPUT }))
      const theirs = torch.get(key)!
      rows.push({
        name: key,
        ours: trained.value,
        pytorch: theirs?.value ?? null,
        ratio: theirs ? trained.value / theirs.value : null,
        unit: 'samples/s',
        backend: backend.name,
        peakRssMb: trained.peakRssMb,
        pytorchPeakRssMb: theirs?.peakRssMb ?? null,
        flopsPerSample: trainingFlopsPerSample(graph)
      })
    }
    tf.dispose([data.x, data.y])
  }
  const version = [...torch.values()].find((r) => r)?.version
  process.stdout.write(
    `\nResNet training throughput (32×32×3 random data, batch ${BATCH}, ${SAMPLES} samples; ${version ? `PyTorch ${version}` : `PyTorch not run: ${reference.missing}`}; 1 thread each)\n\n`
  )
  process.stdout.write(
    '| workload | backend | ours (samples/s) | PyTorch | ours/PyTorch | MFLOP/sample | ours GFLOP/s | PyTorch GFLOP/s |\n'
  )
  process.stdout.write('|---|---|---:|---:|---:|---:|---:|---:|\n')
  const fmt = (v: number | null | undefined, digits: number) => (v === null || v === undefined ? '—' : v.toFixed(digits))
  for (const r of rows) {
    const gf = (v: number | null | undefined) => (v === null || v === undefined ? null : (v * r.flopsPerSample!) / 1e9)
    process.stdout.write(
      `| ${r.name} | ${r.backend} | ${r.ours.toFixed(0)} | ${fmt(r.pytorch, 0)} | ${fmt(r.ratio, 2)} | ${(r.flopsPerSample! / 1e6).toFixed(1)} | ${fmt(gf(r.ours), 1)} | ${fmt(gf(r.pytorch), 1)} |\n`
    )
  }
  return rows
}
