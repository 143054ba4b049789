import { describe, expect, it } from 'vitest'
import { acceptedTaskKinds, METHOD_IDS, type MethodId } from '@shared/methods'
import { useAuditServices } from '../helpers/audit-services'

const services = useAuditServices('task-kinds')

// Each method's shortest sensible run: this test checks that it handles the task, not how well.
const QUICK: Record<MethodId, Record<string, unknown>> = {
  retrain: { epochs: 1 },
  finetune: { epochs: 1 },
  rem: { rounds: 1, maxFlushEpochs: 2 },
  npo: { maxEpochs: 2 },
  'gradient-ascent': { maxEpochs: 2 },
  potion: { maxTries: 3 },
  del: { epochs: 1 },
  unsir: { noiseSteps: 5, retainPerClass: 50, noiseCopies: 2 },
  mnemonic: {},
  'neggrad-plus': { epochs: 1 },
  'l1-sparse': { epochs: 1 },
  'random-label': { epochs: 1 },
  scrub: { epochs: 1, maxEpochs: 1 },
  'bad-teacher': {},
  ssd: {},
  salun: { epochs: 1 },
  'cf-k': { epochs: 1 },
  'eu-k': { epochs: 1 }
}

const TASKS = {
  random: { kind: 'random', fraction: 0.1 },
  class: { kind: 'class', classes: [2] },
  corrupted: { kind: 'corrupted', corruption: 'interclass-swap', corruptedCount: 60, discoveryRate: 0.5 }
} as const

describe('every method on every task kind it accepts', () => {
  it.each(Object.keys(TASKS) as Array<keyof typeof TASKS>)(
    '%s task: every accepted method finishes',
    async (kind) => {
      const methods = METHOD_IDS.filter((id) => acceptedTaskKinds(id).includes(kind)).map((id) => ({ id, params: QUICK[id] }))
      const { taskId, done } = await services.audits.start({
        name: `kinds ${kind}`,
        dataset: { id: 'fashion-mnist', trainLimit: 1000, testLimit: 200 },
        model: { arch: 'mlp' },
        train: { epochs: 3, batchSize: 64, learningRate: 0.05, mnemonicCodes: { tMix: 0.1 } },
        task: TASKS[kind],
        methods
      })
      await done
      const runs = services.store.runs.list(taskId)
      expect(runs).toHaveLength(methods.length + 1)
      for (const r of runs) expect(`${r.method}: ${r.status} ${r.error ?? ''}`).toBe(`${r.method}: done `)
    },
    600_000
  )
})
