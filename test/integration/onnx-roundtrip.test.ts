import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadModel } from '@main/engine/model/model-files'
import { exportModelOnnx } from '@main/library/model-export'
import { importModel } from '@main/library/model-library'
import { useAuditServices } from '../helpers/audit-services'

/**
 * Exported to ONNX, then imported again: the model that comes back is the one that left. Weights
 * are compared value for value in graph order (layer names are the ONNX file's, so the files
 * differ); where the import widens a PyTorch-style stride-2 kernel, the test says so.
 */
const services = useAuditServices('onnx-roundtrip')

async function trainedOriginal(arch: string): Promise<string> {
  const { taskId, done } = await services.audits.start({
    name: `round trip ${arch}`,
    dataset: { id: 'fashion-mnist', trainLimit: 300, testLimit: 100 },
    model: { arch },
    train: { epochs: 1, batchSize: 64, learningRate: 0.05 },
    task: { kind: 'random', fraction: 0.1 },
    methods: ['finetune'],
    seeds: [0]
  })
  await done
  const original = services.store.runs.list(taskId).find((r) => r.method === 'original')!
  expect(original.status, original.error ?? '').toBe('done')
  return original.outputModelSha256!
}

async function weightsInOrder(dir: string): Promise<Float32Array[]> {
  const { model } = await loadModel(dir)
  try {
    return [...model.weights.values()].map((w) => Float32Array.from(w.dataSync()))
  } finally {
    model.dispose()
  }
}

describe('ONNX round trip', () => {
  it(
    'gives back the imported MobileNet-style block (depthwise, Pad, ReLU6, Concat, LeakyRelu, Mul), bit for bit',
    { timeout: 300_000 },
    async () => {
      const deps = { ...services, ...services.paths }
      const first = await importModel(deps, [join(__dirname, '..', 'fixtures', 'onnx', 'mobile-block.onnx')], {
        datasetId: 'fashion-mnist'
      })
      const file = join(services.paths.dataDir, 'mobile-block-again.onnx')
      await exportModelOnnx(services.store, services.paths.dataDir, first.model.sha256, file)
      const again = await importModel(deps, [file], { datasetId: 'fashion-mnist' })
      expect(again.validation?.maxAbsDiff).toBeLessThanOrEqual(again.validation!.tolerance)
      // The first import widened dw2's kernel to 4×4; exported with 'same' pads, it maps back as it is.
      expect(again.validation?.notes).toEqual([])
      const stored = services.store.models.listAll()
      const dirOf = (sha: string) => resolve(services.paths.dataDir, stored.find((m) => m.sha256 === sha)!.path)
      const before = await weightsInOrder(dirOf(first.model.sha256))
      const after = await weightsInOrder(dirOf(again.model.sha256))
      expect(after.map((w) => w.length)).toEqual(before.map((w) => w.length))
      after.forEach((w, i) => expect(Buffer.from(w.buffer).equals(Buffer.from(before[i]!.buffer)), `weight ${i}`).toBe(true))
      console.log(
        `mobile-block round trip: import check ${again.validation!.maxAbsDiff.toExponential(1)} against ${again.validation!.tolerance.toExponential(1)}`
      )
    }
  )

  for (const arch of ['mlp', 'cnn-small']) {
    it(`gives back the same ${arch}, bit for bit`, { timeout: 300_000 }, async () => {
      const sha256 = await trainedOriginal(arch)
      const file = join(services.paths.dataDir, `${arch}.onnx`)
      await exportModelOnnx(services.store, services.paths.dataDir, sha256, file)
      const imported = await importModel({ ...services, ...services.paths }, [file], { datasetId: 'fashion-mnist' })
      expect(imported.validation?.maxAbsDiff).toBeLessThanOrEqual(imported.validation!.tolerance)
      expect(imported.validation?.notes).toEqual([])
      const stored = services.store.models.listAll()
      const dirOf = (sha: string) => resolve(services.paths.dataDir, stored.find((m) => m.sha256 === sha)!.path)
      const before = await weightsInOrder(dirOf(sha256))
      const after = await weightsInOrder(dirOf(imported.model.sha256))
      expect(after.map((w) => w.length)).toEqual(before.map((w) => w.length))
      after.forEach((w, i) => expect(Buffer.from(w.buffer).equals(Buffer.from(before[i]!.buffer)), `weight ${i}`).toBe(true))
    })
  }
})
