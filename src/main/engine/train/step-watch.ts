import * as tf from '@tensorflow/tfjs'
import { DivergenceError } from './divergence'

// Reading a value back synchronises the backend; doing it every few steps keeps the pipeline full.
const READ_EVERY = 10

interface Watched {
  step: number
  loss: tf.Scalar
  /** Sum of every updated weight: finite exactly when each weight is (short of float overflow). */
  weights: tf.Scalar
}

/**
 * Watches every optimiser step of a loop for a non-finite loss or non-finite weights. Values are
 * queued as scalars and read back in windows, but each step keeps its own, so a divergence is
 * reported at the first step that produced it, not at the end of the window.
 */
export class StepWatch {
  private readonly pending: Watched[] = []

  constructor(private readonly what: string) {}

  /** Queues step `step` (1-based): its loss, and the variables it has just updated. Takes ownership of `loss`. */
  record(step: number, loss: tf.Scalar, updated: tf.Variable[]): void {
    const weights = tf.tidy(() => (updated.length === 0 ? tf.scalar(0) : tf.addN(updated.map((v) => tf.sum(v)))) as tf.Scalar)
    this.pending.push({ step, loss, weights })
  }

  /** True when a window is full and should be read. */
  get due(): boolean {
    return this.pending.length >= READ_EVERY
  }

  /** Reads the queued steps; throws a DivergenceError naming the first bad one. Returns their losses. */
  async flush(): Promise<number[]> {
    const queued = this.pending.splice(0)
    try {
      const values = await Promise.all(queued.map(async (w) => [(await w.loss.data())[0]!, (await w.weights.data())[0]!] as const))
      values.forEach(([loss, weights], i) => {
        const step = queued[i]!.step
        if (!Number.isFinite(loss)) throw new DivergenceError(`${this.what} diverged: the loss is ${loss} at step ${step}`, step)
        if (!Number.isFinite(weights))
          throw new DivergenceError(`${this.what} diverged: the weights hold NaN or infinity after step ${step}`, step)
      })
      return values.map(([loss]) => loss)
    } finally {
      for (const w of queued) tf.dispose([w.loss, w.weights])
    }
  }

  dispose(): void {
    for (const w of this.pending.splice(0)) tf.dispose([w.loss, w.weights])
  }
}
