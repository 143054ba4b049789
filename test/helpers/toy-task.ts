import * as tf from '@tensorflow/tfjs'
import { makeForgetSplit } from '@main/engine/data/splits'
import { accuracy } from '@main/engine/eval/accuracy'
import type { MethodContext } from '@main/engine/methods/context'
import { buildArchitecture } from '@main/engine/model/architectures'
import { FunctionalModel } from '@main/engine/model/functional-model'
import { trainClassifier } from '@main/engine/train/loop'
import type { TensorSplit } from '@main/engine/train/tensor-data'
import { createRng } from '@main/engine/util/random'
import { parseTaskSpec, type TaskSpec } from '@shared/task-spec'
import type { ModelGraph } from '@main/engine/model/graph'

/**
 * A seeded 4-class toy problem (8 features, the class's feature raised) with an mlp trained on
 * it, and a method context forgetting a random 10 %: fast enough for exact, per-element checks.
 */
export async function toyMethodContext(
  method: string,
  params: Record<string, unknown> = {},
  options: {
    /** Another model for the same data, its 8 features seen as a 2×4×1 image. */
    graph?: (inputShape: number[], classes: number) => ModelGraph
    task?: Exclude<TaskSpec['task'], { kind: 'corrupted' }>
  } = {}
): Promise<MethodContext & { dispose: () => void }> {
  const rng = createRng(1)
  const inputShape = options.graph ? [2, 4, 1] : [8]
  const sample = (n: number): TensorSplit => {
    const labels = Int32Array.from({ length: n }, (_, i) => i % 4)
    const x = Float32Array.from({ length: n * 8 }, (_, k) => (k % 8 === labels[Math.floor(k / 8)]! ? 1.5 : 0) + rng() - 0.5)
    return { x: tf.tensor(x, [n, ...inputShape]), y: tf.tensor1d(labels, 'int32'), labels, count: n }
  }
  const n = 200
  const train = sample(n)
  const heldOut = sample(100)
  const labels = train.labels
  const original = FunctionalModel.initialize(options.graph ? options.graph(inputShape, 4) : buildArchitecture('mlp', [8], 4), 0)
  await trainClassifier(original, train, {
    indices: Int32Array.from({ length: n }, (_, i) => i),
    epochs: 3,
    batchSize: 32,
    optimizer: 'sgd',
    learningRate: 0.05,
    seed: 0
  })
  const task = options.task ?? ({ kind: 'random', fraction: 0.1 } as const)
  const spec = parseTaskSpec({
    name: 't',
    dataset: { id: 'toy' },
    model: { arch: 'mlp' },
    train: { epochs: 1, batchSize: 32, learningRate: 0.05 },
    task,
    methods: [{ id: method, params }]
  })
  return {
    original,
    train,
    split: makeForgetSplit(task, labels, 0),
    spec,
    params: spec.methods[0]!.params,
    seed: 0,
    heldOutAccuracy: () => accuracy(original, heldOut),
    progress: () => undefined,
    cancel: { cancelled: false },
    dispose: () => {
      original.dispose()
      tf.dispose([train.x, train.y, heldOut.x, heldOut.y])
    }
  }
}

/** Every trainable weight's values, in model order. */
export function weightValues(model: FunctionalModel): Float32Array[] {
  return model.trainableVariables().map((v) => v.dataSync() as Float32Array)
}
