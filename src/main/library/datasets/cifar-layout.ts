import { ImportError } from '../model-bundle'

/** Which CIFAR download a set of files is, and the names of its batches and class-name files. */
export interface CifarLayout {
  dataset: 'CIFAR-10' | 'CIFAR-100'
  format: 'python' | 'binary'
  /** The training batches in order (CIFAR-10 has five, CIFAR-100 one). */
  train: string[]
  test: string
  /** The files holding the class names. */
  meta: string[]
}

interface Pattern {
  dataset: CifarLayout['dataset']
  format: CifarLayout['format']
  train: RegExp
  test: string
  meta: string[]
}

// The file names of the four downloads, as their archives hold them.
const PATTERNS: Pattern[] = [
  { dataset: 'CIFAR-10', format: 'python', train: /^data_batch_(\d+)$/, test: 'test_batch', meta: ['batches.meta'] },
  { dataset: 'CIFAR-10', format: 'binary', train: /^data_batch_(\d+)\.bin$/, test: 'test_batch.bin', meta: ['batches.meta.txt'] },
  { dataset: 'CIFAR-100', format: 'python', train: /^train$/, test: 'test', meta: ['meta'] },
  {
    dataset: 'CIFAR-100',
    format: 'binary',
    train: /^train\.bin$/,
    test: 'test.bin',
    meta: ['fine_label_names.txt', 'coarse_label_names.txt']
  }
]

/** Files the downloads carry beside the data; they are passed over. */
export const CIFAR_EXTRAS = new Set(['readme.html', 'file.txt~'])

const belongs = (p: Pattern, name: string) => p.train.test(name) || name === p.test || p.meta.includes(name)
const describe = (p: Pattern) => `${p.dataset} (${p.format} version)`

/** Whether a file name is one of a CIFAR download's data or class-name files. */
export function isCifarName(name: string): boolean {
  return PATTERNS.some((p) => belongs(p, name))
}

/**
 * The CIFAR download that `names` (file names, no folders) come from, or null when none of them is
 * CIFAR's. A set that mixes downloads, or lacks a batch or the class names, is refused naming them.
 */
export function cifarLayout(names: string[], where: string): CifarLayout | null {
  const found = PATTERNS.filter((p) => names.some((n) => belongs(p, n)))
  if (found.length === 0) return null
  if (found.length > 1)
    throw new ImportError(`${where}: holds files of ${found.map(describe).join(' and ')}; import one download at a time`)
  const p = found[0]!
  const missing: string[] = []
  const train = names.filter((n) => p.train.test(n)).sort((a, b) => Number(p.train.exec(a)?.[1] ?? 0) - Number(p.train.exec(b)?.[1] ?? 0))
  if (p.dataset === 'CIFAR-10') {
    // Batches are numbered from 1; a gap is a batch that was left behind.
    const numbers = train.map((n) => Number(p.train.exec(n)![1]))
    const last = Math.max(1, ...numbers)
    for (let i = 1; i <= last; i++) if (!numbers.includes(i)) missing.push(`data_batch_${i}${p.format === 'binary' ? '.bin' : ''}`)
  } else if (train.length === 0) missing.push(p.format === 'binary' ? 'train.bin' : 'train')
  if (!names.includes(p.test)) missing.push(p.test)
  missing.push(...p.meta.filter((m) => !names.includes(m)))
  if (missing.length > 0) {
    throw new ImportError(
      `${where}: ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} missing; ${describe(p)} is read from its training batches, ${p.test} and ${p.meta.join(' and ')} (the class names)`
    )
  }
  return { dataset: p.dataset, format: p.format, train, test: p.test, meta: p.meta }
}
