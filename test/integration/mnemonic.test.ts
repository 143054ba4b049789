import { describe, expect, it } from 'vitest'
import { useAuditServices } from '../helpers/audit-services'

const services = useAuditServices('mnemonic')

const spec = (train: Record<string, unknown>, params: Record<string, unknown> = {}) => ({
  name: 'mnemonic',
  dataset: { id: 'fashion-mnist', trainLimit: 6000, testLimit: 500 },
  model: { arch: 'mlp' },
  train: { epochs: 5, batchSize: 64, learningRate: 0.05, ...train },
  task: { kind: 'class', classes: [1] },
  methods: [{ id: 'mnemonic', params }]
})

describe('one-shot Mnemonic-code unlearning', () => {
  // λ1 = 1e-3 (the paper's MNIST value) is tuned for an mlp trained 200 epochs; this one trains 5,
  // and needs λ1 = 1e-2 for the class to go. The default stays the paper's.
  it('forgets a class of a code-trained mlp in one shot: forget ≤ 0.1, other classes within 5 points, under 5 s', async () => {
    const { taskId, done } = await services.audits.start(spec({ mnemonicCodes: { tMix: 0.1 } }, { lambda1: 1e-2 }))
    await done
    const [original, forgotten] = services.store.listRuns(taskId)
    expect(forgotten!.status, forgotten!.error ?? '').toBe('done')
    const o = original!.metrics as Record<string, number>
    const m = forgotten!.metrics as Record<string, number>
    expect(m.forgetAccuracy).toBeLessThanOrEqual(0.1)
    expect(o.retainAccuracy! - m.retainAccuracy!).toBeLessThanOrEqual(0.05)
    expect(m.seconds).toBeLessThan(5)
  }, 300_000)

  it('a task without codes is refused before any training starts, with a message that says how to add them', async () => {
    const before = services.store.listTasks().length
    await expect(services.audits.start(spec({ epochs: 1 }))).rejects.toThrow(/methods\[0\]: .*mnemonic codes: set train\.mnemonicCodes/)
    expect(services.store.listTasks()).toHaveLength(before)
  })
})
