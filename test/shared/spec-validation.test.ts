import { describe, expect, it } from 'vitest'
import { problemsUnder, problemText, specProblems } from '@shared/spec-validation'
import { parseTaskSpec, type TaskSpecInput } from '@shared/task-spec'

const good = (): TaskSpecInput => ({
  name: 'quickstart',
  dataset: { id: 'fashion-mnist', trainLimit: 6000, testLimit: 1000 },
  model: { arch: 'cnn-small' },
  train: { epochs: 4, batchSize: 128, optimizer: 'sgd', learningRate: 0.05 },
  task: { kind: 'random', fraction: 0.1 },
  methods: ['retrain', 'finetune'],
  seeds: [0]
})

/** The line parseTaskSpec throws for a spec (the server's words), or null when it takes the spec. */
function thrown(spec: TaskSpecInput): string | null {
  try {
    parseTaskSpec(spec)
    return null
  } catch (err) {
    return (err as Error).message
  }
}

const FASHION = { numClasses: 10, trainSize: 60000, testSize: 10000 }

describe('spec validation as the form is typed', () => {
  it('finds nothing wrong with a good spec, with or without the dataset checks', () => {
    expect(specProblems(good())).toEqual([])
    expect(specProblems(good(), FASHION)).toEqual([])
    const grid: TaskSpecInput = {
      ...good(),
      task: { kind: 'corrupted', corruption: 'poison', corruptedCount: 300, discoveryRate: 0.5 },
      methods: ['retrain', 'rem', 'npo', 'potion'],
      seeds: [0, 1],
      sweep: { corruption: ['poison', 'random-swap'], discoveryRate: [0.1, 0.5, 1] }
    }
    expect(specProblems(grid, FASHION)).toEqual([])
  })

  const badFields: Array<[string, (s: TaskSpecInput) => void, string]> = [
    ['train.epochs', (s) => (s.train.epochs = 0), 'train.epochs: Too small: expected number to be >=1'],
    ['train.learningRate', (s) => (s.train.learningRate = -1), 'train.learningRate'],
    ['dataset.trainLimit', (s) => (s.dataset.trainLimit = 5), 'dataset.trainLimit'],
    ['name', (s) => (s.name = ''), 'name'],
    ['seeds[0]', (s) => (s.seeds = [Number('zero')]), 'seeds[0]'],
    ['seeds', (s) => (s.seeds = []), 'seeds'],
    ['task.fraction', (s) => (s.task = { kind: 'random', fraction: 1.5 }), 'task.fraction'],
    ['model.arch', (s) => (s.model = { arch: 'vgg' as 'mlp' }), 'model.arch'],
    ['methods', (s) => (s.methods = []), 'methods']
  ]
  it.each(badFields)('reports a bad %s with exactly the message parseTaskSpec throws', (path, spoil, expected) => {
    const spec = good()
    spoil(spec)
    const problems = specProblems(spec)
    expect(problems).toHaveLength(1)
    expect(problems[0]!.path).toBe(path)
    expect(problemText(problems[0]!)).toBe(thrown(spec))
    expect(problemText(problems[0]!).startsWith(expected)).toBe(true)
  })

  it('reports every bad field at once, each as parseTaskSpec words it', () => {
    const spec = good()
    spec.train.epochs = 0
    spec.dataset.testLimit = 3
    const problems = specProblems(spec)
    expect(problems.map((p) => p.path).sort()).toEqual(['dataset.testLimit', 'train.epochs'])
    expect(problems.map(problemText).join('; ')).toBe(thrown(spec))
  })

  it('refuses a method that does not fit the task, as the server does', () => {
    const spec = { ...good(), methods: ['retrain', 'unsir'] }
    const problems = specProblems(spec)
    expect(problems).toEqual([{ path: 'methods[1]', message: expect.stringContaining('only handles tasks of kind "class"') }])
    expect(problemText(problems[0]!)).toBe(thrown(spec))
    const codes = { ...good(), task: { kind: 'class' as const, classes: [1] }, methods: ['mnemonic'] }
    expect(problemText(specProblems(codes)[0]!)).toBe(thrown(codes))
    expect(specProblems({ ...codes, train: { ...codes.train, mnemonicCodes: { tMix: 0.1 } } })).toEqual([])
  })

  it('passes on the rest of parseTaskSpec checks, such as a task field swept on the wrong task', () => {
    const spec = { ...good(), sweep: { discoveryRate: [0.5] } }
    expect(specProblems(spec).map(problemText)).toEqual([thrown(spec)])
    expect(specProblems(spec)[0]!.path).toBe('sweep.discoveryRate')
  })

  it('checks the spec against the dataset when its sizes are given', () => {
    const spec: TaskSpecInput = { ...good(), task: { kind: 'class', classes: [12] } }
    expect(specProblems(spec)).toEqual([])
    expect(specProblems(spec, FASHION)).toEqual([
      { path: 'task.classes[0]', message: 'class 12 does not exist (the dataset has classes 0-9)' }
    ])
    const big = { ...good(), dataset: { id: 'fashion-mnist', trainLimit: 70000 } }
    expect(specProblems(big, FASHION).map((p) => p.path)).toEqual(['dataset.trainLimit'])
  })

  it('finds the problems of one field and what lies inside it', () => {
    const problems = [
      { path: 'task.classes[0]', message: 'a' },
      { path: 'task.classesX', message: 'b' },
      { path: 'train.epochs', message: 'c' }
    ]
    expect(problemsUnder(problems, 'task.classes').map((p) => p.message)).toEqual(['a'])
    expect(problemsUnder(problems, 'train').map((p) => p.message)).toEqual(['c'])
  })
})
