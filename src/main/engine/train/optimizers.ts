import * as tf from '@tensorflow/tfjs'

/**
 * Optimisers over named variables. Written here rather than taken from tf.train because methods
 * need to change the learning rate per step, mask gradients and add weight decay.
 */
export interface Optimizer {
  /** Applies one update. `grads[i]` belongs to `vars[i]`. Does not dispose the gradients. */
  step(vars: tf.Variable[], grads: tf.Tensor[], learningRate: number): void
  dispose(): void
}

export interface OptimizerConfig {
  kind: 'sgd' | 'adam'
  momentum?: number
  weightDecay?: number
}

class SgdMomentum implements Optimizer {
  private readonly velocity = new Map<tf.Variable, tf.Variable>()
  constructor(
    private readonly momentum: number,
    private readonly weightDecay: number
  ) {}

  step(vars: tf.Variable[], grads: tf.Tensor[], lr: number): void {
    tf.tidy(() => {
      vars.forEach((v, i) => {
        let g = grads[i]!
        if (this.weightDecay > 0) g = tf.add(g, tf.mul(v, this.weightDecay))
        if (this.momentum > 0) {
          let vel = this.velocity.get(v)
          if (!vel) {
            vel = tf.variable(tf.zerosLike(v), false)
            this.velocity.set(v, vel)
          }
          vel.assign(tf.add(tf.mul(vel, this.momentum), g))
          g = vel
        }
        v.assign(tf.sub(v, tf.mul(g, lr)))
      })
    })
  }

  dispose(): void {
    for (const v of this.velocity.values()) v.dispose()
    this.velocity.clear()
  }
}

class Adam implements Optimizer {
  private readonly slots = new Map<tf.Variable, { m: tf.Variable; v: tf.Variable }>()
  private t = 0
  constructor(
    private readonly weightDecay: number,
    private readonly beta1 = 0.9,
    private readonly beta2 = 0.999,
    private readonly epsilon = 1e-7
  ) {}

  step(vars: tf.Variable[], grads: tf.Tensor[], lr: number): void {
    this.t++
    const c1 = 1 - this.beta1 ** this.t
    const c2 = 1 - this.beta2 ** this.t
    tf.tidy(() => {
      vars.forEach((p, i) => {
        let g = grads[i]!
        if (this.weightDecay > 0) g = tf.add(g, tf.mul(p, this.weightDecay))
        let s = this.slots.get(p)
        if (!s) {
          s = { m: tf.variable(tf.zerosLike(p), false), v: tf.variable(tf.zerosLike(p), false) }
          this.slots.set(p, s)
        }
        s.m.assign(tf.add(tf.mul(s.m, this.beta1), tf.mul(g, 1 - this.beta1)))
        s.v.assign(tf.add(tf.mul(s.v, this.beta2), tf.mul(tf.square(g), 1 - this.beta2)))
        const update = tf.div(tf.div(s.m, c1), tf.add(tf.sqrt(tf.div(s.v, c2)), this.epsilon))
        p.assign(tf.sub(p, tf.mul(update, lr)))
      })
    })
  }

  dispose(): void {
    for (const s of this.slots.values()) {
      s.m.dispose()
      s.v.dispose()
    }
    this.slots.clear()
  }
}

export function createOptimizer(config: OptimizerConfig): Optimizer {
  return config.kind === 'adam' ? new Adam(config.weightDecay ?? 0) : new SgdMomentum(config.momentum ?? 0.9, config.weightDecay ?? 0)
}

/** Learning rate at `step` of `total`: constant, or cosine decay to `floor`·base. */
export function scheduledRate(base: number, schedule: 'constant' | 'cosine', step: number, total: number, floor = 0): number {
  if (schedule === 'constant' || total <= 1) return base
  const progress = Math.min(step / (total - 1), 1)
  return base * (floor + (1 - floor) * 0.5 * (1 + Math.cos(Math.PI * progress)))
}
