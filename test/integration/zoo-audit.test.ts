import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { exportReport } from '@main/api/handlers'
import { estimateAudit } from '@main/audit/estimate'
import { parseTaskSpec } from '@shared/task-spec'
import { runAuditExpectingDone, useAuditServices } from '../helpers/audit-services'
import { readPdf } from '../helpers/pdf'

/**
 * An audit of a narrow ResNet-9 trained with crops and flips, through the services the app and the
 * CLI use: the width reaches the model, the speeds and the estimate tell it from width 1, and the
 * report's task section prints both settings.
 */
const services = useAuditServices('zoo-audit')

const spec = {
  name: 'narrow resnet-9, augmented',
  dataset: { id: 'fashion-mnist', trainLimit: 1000, testLimit: 200 },
  model: { arch: 'resnet-9', width: 0.125 },
  train: { epochs: 3, batchSize: 32, learningRate: 0.05, augment: { crop: 2, flip: true } },
  task: { kind: 'random', fraction: 0.1 },
  methods: ['retrain', { id: 'finetune', params: { epochs: 1 } }],
  seeds: [0]
}

describe('an audit of resnet-9 at width 0.125 with augmentation', () => {
  it('trains at that width, prices it apart from width 1, and the report records the width and the augmentation', async () => {
    const { taskId, runs } = await runAuditExpectingDone(services, spec)
    expect(runs.map((r) => r.method).sort()).toEqual(['finetune', 'original', 'retrain'])
    const original = services.store.models.find(runs.find((r) => r.method === 'original')!.outputModelSha256!)
    expect(original?.arch).toBe('resnet-9')
    // 8/16/32/64 channels on 28×28×1 images: 102,600 conv weights, 280 batch-norm channels (2 trained numbers
    // and 2 moving statistics each) and a 64 → 10 dense head.
    expect(original?.parameterCount).toBe(102_600 + 4 * 280 + 650)

    expect(services.store.speeds.history().every((h) => h.arch === 'resnet-9 ×0.125')).toBe(true)
    const wide = parseTaskSpec({ ...spec, model: { arch: 'resnet-9' } })
    const estimate = estimateAudit(services.store, wide, { datasetSha256: 'other', givenModelMeasured: false }, 1000, 1)
    expect(estimate.unmeasured.sort()).toEqual(['finetune', 'original', 'retrain'])

    const pdf = join(services.paths.dataDir, 'zoo.pdf')
    await exportReport(services, taskId, pdf)
    const text = (await readPdf(pdf)).pages.flatMap((p) => p.lines).join(' ')
    expect(text).toContain('trained here: resnet-9 ×0.125')
    expect(text.replace(/\s+/g, '')).toContain('"augment":{"crop":2,"flip":true}')
  }, 600_000)
})
