import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { acceptedTaskKinds, METHOD_IDS, requiresMnemonicCodes } from '@shared/methods'
import { architectureLabel, checkSpecAgainstDataset, parseTaskSpec } from '@shared/task-spec'
import { originalRecipe } from '@shared/sweep'
import { buildSpec, defaultForm, formFromSpec } from '@renderer/views/new-audit/form-model'

const quickstart = JSON.parse(readFileSync('examples/quickstart.json', 'utf8'))
const fmnist = { numClasses: 10, trainSize: 60000, testSize: 10000 }

function withChange(change: (s: Record<string, any>) => void) {
  const spec = structuredClone(quickstart)
  change(spec)
  return spec
}

describe('task spec validation', () => {
  it('accepts the quickstart and fills every method setting', () => {
    const spec = parseTaskSpec(quickstart)
    expect(spec.methods.map((m) => m.id)).toEqual(['retrain', 'finetune'])
    expect(spec.methods[0]!.params).toEqual({ epochs: 4, learningRate: 0.05 })
    expect(spec.methods[1]!.params).toEqual({ epochs: 2, learningRate: 0.01 })
    expect(spec.train.schedule).toBe('cosine')
    expect(() => checkSpecAgainstDataset(spec, fmnist)).not.toThrow()
  })

  it.each([
    [(s: any) => (s.train.learningRate = -1), /^train\.learningRate: /],
    [(s: any) => (s.task = { kind: 'random', fraction: 1.5 }), /^task\.fraction: /],
    [(s: any) => (s.task = { kind: 'sideways' }), /^task\.kind: /],
    [(s: any) => (s.methods = ['retrain', 'teleport']), /^methods\[1\]: unknown method "teleport"/],
    [(s: any) => (s.methods = [{ id: 'finetune', params: { epochs: 0 } }]), /^methods\[0\]\.params\.epochs: /],
    [(s: any) => (s.methods = [{ id: 'finetune', params: { colour: 'red' } }]), /^methods\[0\]\.params: /],
    [(s: any) => (s.model = { arch: 'transformer' }), /^model\.arch: /],
    [(s: any) => (s.model = { arch: 'resnet-18', width: 0 }), /^model\.width: /],
    [(s: any) => (s.model = { arch: 'resnet-18', width: 2.5 }), /^model\.width: /],
    [(s: any) => (s.train.augment = { crop: -1 }), /^train\.augment\.crop: /],
    [(s: any) => (s.train.augment = { crop: 1.5 }), /^train\.augment\.crop: /],
    [(s: any) => (s.train.augment = { flip: true, rotate: 10 }), /^train\.augment: .*rotate/],
    [(s: any) => (s.model = { sha256: 'abc' }), /^model\.sha256: a sha256 is 64 lowercase hex digits$/],
    [(s: any) => (s.seeds = [0.5]), /^seeds\[0\]: /],
    [(s: any) => (s.extra = 1), /^\(root\): .*extra/],
    [(s: any) => delete s.name, /^name: /]
  ])('names the bad field (%#)', (change, message) => {
    expect(() => parseTaskSpec(withChange(change))).toThrow(message)
  })

  const TASKS = {
    random: { kind: 'random', fraction: 0.1 },
    class: { kind: 'class', classes: [1] },
    corrupted: { kind: 'corrupted', corruption: 'poison', corruptedCount: 100, discoveryRate: 0.5 }
  } as const

  it.each(METHOD_IDS.flatMap((id) => (['random', 'class', 'corrupted'] as const).map((kind) => [id, kind] as const)))(
    '%s on a %s task: accepted, or refused at validation',
    (id, kind) => {
      const spec = withChange((s) => {
        s.task = TASKS[kind]
        s.methods = [id]
        s.train.mnemonicCodes = { tMix: 0.1 }
      })
      if (acceptedTaskKinds(id).includes(kind)) expect(parseTaskSpec(spec).methods[0]!.id).toBe(id)
      else expect(() => parseTaskSpec(spec)).toThrow(new RegExp(`^methods\\[0\\]: .* only handles tasks of kind .*not "${kind}"`))
    }
  )

  it('refuses methods that need mnemonic codes when the original is trained without them', () => {
    const needing = METHOD_IDS.filter(requiresMnemonicCodes)
    expect(needing).toEqual(['mnemonic'])
    const spec = withChange((s) => {
      s.task = TASKS.class
      s.methods = ['finetune', 'mnemonic']
    })
    expect(() => parseTaskSpec(spec)).toThrow(/^methods\[1\]: .*needs a model trained with mnemonic codes: set train\.mnemonicCodes/)
  })

  it('exposes every REM setting and its ablations as parameters, with the paper defaults', () => {
    const spec = parseTaskSpec(
      withChange(
        (s) => (s.methods = ['rem', { id: 'rem', params: { redirection: false, continuedRemoval: false, flush: 'gradient-ascent' } }])
      )
    )
    expect(spec.methods[0]!.params).toMatchObject({
      capacity: 0.5,
      pMem: 0.2,
      beta: 1,
      rounds: 10,
      removalThreshold: 'auto',
      maxFlushEpochs: 100,
      redirection: true,
      continuedRemoval: true,
      flush: 'npo'
    })
    expect(spec.methods[1]!.params).toMatchObject({ redirection: false, continuedRemoval: false, flush: 'gradient-ascent' })
    expect(() => parseTaskSpec(withChange((s) => (s.methods = [{ id: 'rem', params: { capacity: 1.5 } }])))).toThrow(
      /^methods\[0\]\.params\.capacity: /
    )
  })

  it('checks class indices and subset sizes against the dataset', () => {
    const classes = parseTaskSpec(withChange((s) => (s.task = { kind: 'class', classes: [3, 12] })))
    expect(() => checkSpecAgainstDataset(classes, fmnist)).toThrow(/task\.classes\[1\]: class 12 does not exist/)
    const big = parseTaskSpec(withChange((s) => (s.dataset.trainLimit = 70000)))
    expect(() => checkSpecAgainstDataset(big, fmnist)).toThrow(/dataset\.trainLimit/)
  })

  it('takes a width for a trained architecture and an augmentation, and keeps both in the spec its models are keyed by', () => {
    const spec = parseTaskSpec(
      withChange((s) => {
        s.model = { arch: 'resnet-18', width: 0.25 }
        s.train.augment = { crop: 4 }
      })
    )
    expect(spec.model).toEqual({ arch: 'resnet-18', width: 0.25 })
    expect(spec.train.augment).toEqual({ crop: 4, flip: false })
    expect(architectureLabel(spec.model)).toBe('resnet-18 ×0.25')
    const plain = parseTaskSpec(quickstart)
    expect(originalRecipe(spec, spec.task, 0)).toMatchObject({ model: { width: 0.25 }, train: { augment: { crop: 4, flip: false } } })
    // Left out, neither appears: the specs (and so the cache keys) written before these settings are unchanged.
    expect(plain.model).toEqual({ arch: 'cnn-small' })
    expect('augment' in plain.train).toBe(false)
    expect(architectureLabel(plain.model)).toBe('cnn-small')
    expect(architectureLabel({ arch: 'resnet-9', width: 1 })).toBe('resnet-9')
    expect(architectureLabel({ sha256: 'a'.repeat(64) })).toBeNull()
  })

  it('the New audit form writes width and augmentation only when set, and reads them back from a spec', () => {
    const off = buildSpec(defaultForm(null))
    expect(off.model).toEqual({ arch: 'cnn-small' })
    expect(off.train.augment).toBeUndefined()
    const on = buildSpec({ ...defaultForm(null), model: 'resnet-9', width: 0.5, augmentCrop: 4, augmentFlip: true })
    expect(on.model).toEqual({ arch: 'resnet-9', width: 0.5 })
    expect(on.train.augment).toEqual({ crop: 4, flip: true })
    const back = formFromSpec(parseTaskSpec(on), null)
    expect([back.model, back.width, back.augmentCrop, back.augmentFlip]).toEqual(['resnet-9', 0.5, 4, true])
    expect([buildSpec(back).model, buildSpec(back).train]).toEqual([on.model, on.train])
  })
})
