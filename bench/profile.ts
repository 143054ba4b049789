import * as tf from '@tensorflow/tfjs'
import { selectBackend } from '@main/engine/backend/select'
import { type ArchitectureId, ARCHITECTURES, buildArchitecture } from '@main/engine/model/architectures'
import { FunctionalModel } from '@main/engine/model/functional-model'
import { meanCrossEntropy } from '@main/engine/train/loss'
import { createOptimizer } from '@main/engine/train/optimizers'

/**
 * `npm run bench:profile -- <arch> [width]`: where one training step's time goes, kernel by kernel
 * (tf.profile), for a batch of 128 Fashion-MNIST-shaped inputs. Kernels that call other kernels
 * (our gradient kernels) count their inner kernels too, so the column adds up to more than the step.
 */
const BATCH = 128

async function main(): Promise<void> {
  const arch = (process.argv[2] ?? 'cnn-small') as ArchitectureId
  if (!ARCHITECTURES.includes(arch)) throw new Error(`unknown architecture ${arch}; one of ${ARCHITECTURES.join(', ')}`)
  const backend = await selectBackend()
  const width = Number(process.argv[3] ?? 1)
  const model = FunctionalModel.initialize(buildArchitecture(arch, [28, 28, 1], 10, { width }), 0)
  const vars = model.trainableVariables()
  const optimizer = createOptimizer({ kind: 'sgd', momentum: 0.9 })
  const x = tf.randomNormal([BATCH, 28, 28, 1])
  const y = tf.tensor1d(
    Array.from({ length: BATCH }, (_, i) => i % 10),
    'int32'
  )
  const step = () =>
    tf.tidy(() => {
      const { grads } = tf.variableGrads(() => meanCrossEntropy(model.forward(x, { training: true }), y), vars)
      optimizer.step(
        vars,
        vars.map((v) => grads[v.name]!),
        0.01
      )
    })
  for (let i = 0; i < 3; i++) step()
  const reps = 10
  const t = performance.now()
  for (let i = 0; i < reps; i++) step()
  const ms = (performance.now() - t) / reps
  const profile = await tf.profile(step)
  const byKernel = new Map<string, { ms: number; calls: number }>()
  for (const k of profile.kernels) {
    const e = byKernel.get(k.name) ?? { ms: 0, calls: 0 }
    e.ms += Number(k.kernelTimeMs) || 0
    e.calls++
    byKernel.set(k.name, e)
  }
  process.stdout.write(
    `\n${arch}${width === 1 ? '' : ` ×${width}`} on ${backend.name}: ${ms.toFixed(1)} ms a step of ${BATCH} = ${((BATCH * 1000) / ms).toFixed(0)} samples/s\n\n| kernel | ms | calls | share of the step |\n|---|---:|---:|---:|\n`
  )
  for (const [name, e] of [...byKernel].sort((a, b) => b[1].ms - a[1].ms).slice(0, 20)) {
    process.stdout.write(`| ${name} | ${e.ms.toFixed(1)} | ${e.calls} | ${((100 * e.ms) / ms).toFixed(0)} % |\n`)
  }
  tf.dispose([x, y])
  optimizer.dispose()
  model.dispose()
}

main().catch((err: Error) => {
  process.stderr.write(`bench:profile: ${err.message}\n`)
  process.exit(1)
})
