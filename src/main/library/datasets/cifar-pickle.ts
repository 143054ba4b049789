import { ImportError } from '../model-bundle'
import { CIFAR_IMAGE_BYTES, type CifarBatch } from './cifar-batch'
import type { CifarLayout } from './cifar-layout'
import { PyDict, type PyValue, pyText, pyTypeName, readPickle } from './pickle'
import { NdArray, numpyGlobals } from './pickle-numpy'

/** The class names of a python-version download: batches.meta (CIFAR-10) or meta (CIFAR-100). */
export interface CifarMeta {
  fine: string[]
  coarse: string[] | null
  /** CIFAR-10's batches.meta says how many records each batch holds. */
  perBatch: number | null
}

function dictIn(bytes: Uint8Array, file: string, what: string): PyDict {
  const value = readPickle(bytes, file, numpyGlobals(file))
  if (!(value instanceof PyDict)) throw new ImportError(`${file}: the pickle holds a ${pyTypeName(value)}, not ${what}`)
  return value
}

/** One label per record, from a list of ints or a 1-D numpy array (as re-saved batches have them). */
function labelsOf(d: PyDict, key: string, file: string): number[] {
  const v = d.get(key)
  let labels: number[]
  if (v instanceof NdArray && v.shape.length === 1) labels = Array.from({ length: v.count }, (_, i) => v.valueAt(i))
  else if (Array.isArray(v)) labels = (v as PyValue[]).map((x) => (typeof x === 'bigint' ? Number(x) : (x as number)))
  else throw new ImportError(`${file}: no "${key}" list in the batch (it holds ${[...d.keys()].join(', ') || 'nothing'})`)
  const bad = labels.findIndex((l) => typeof l !== 'number' || !Number.isInteger(l))
  if (bad >= 0) throw new ImportError(`${file}: ${key}[${bad}] is not a class index`)
  return labels
}

/** A pickled batch: a dict with `data`, a uint8 array of N × 3072, and the labels of its N records. */
export function readPickleBatch(bytes: Uint8Array, file: string, dataset: CifarLayout['dataset']): CifarBatch {
  const d = dictIn(bytes, file, 'a CIFAR batch (a dict with data and labels)')
  const data = d.get('data')
  if (!(data instanceof NdArray)) throw new ImportError(`${file}: no "data" array in the batch (it holds ${[...d.keys()].join(', ')})`)
  if (data.dtype?.code !== 'u1' || data.shape.length !== 2 || data.shape[1] !== CIFAR_IMAGE_BYTES) {
    throw new ImportError(
      `${file}: data is an array of ${data.dtype?.code} of shape (${data.shape.join(', ')}); a CIFAR batch holds uint8 of shape (N, ${CIFAR_IMAGE_BYTES}): N images of 3 colour planes of 32×32`
    )
  }
  const count = data.shape[0]!
  const fine = labelsOf(d, dataset === 'CIFAR-10' ? 'labels' : 'fine_labels', file)
  const coarse = dataset === 'CIFAR-100' ? labelsOf(d, 'coarse_labels', file) : null
  const names = d.get('filenames')
  for (const [what, n] of [
    ['labels', fine.length],
    ['coarse labels', coarse?.length ?? count],
    ['file names', Array.isArray(names) ? names.length : count]
  ] as const) {
    if (n !== count) throw new ImportError(`${file}: ${count} images but ${n} ${what}`)
  }
  return { file, count, bytes: data.raw, start: 0, stride: CIFAR_IMAGE_BYTES, fine, coarse }
}

function names(d: PyDict, key: string, file: string): string[] {
  const v = d.get(key)
  const list = Array.isArray(v) ? (v as PyValue[]).map(pyText) : null
  if (!list || list.some((s) => s === null)) throw new ImportError(`${file}: no "${key}" list of names in the file`)
  return list as string[]
}

/** batches.meta holds label_names; CIFAR-100's meta holds fine_label_names and coarse_label_names. */
export function readPickleMeta(bytes: Uint8Array, file: string, dataset: CifarLayout['dataset']): CifarMeta {
  const d = dictIn(bytes, file, 'the class names (a dict)')
  if (dataset === 'CIFAR-100')
    return { fine: names(d, 'fine_label_names', file), coarse: names(d, 'coarse_label_names', file), perBatch: null }
  const perBatch = d.get('num_cases_per_batch')
  return { fine: names(d, 'label_names', file), coarse: null, perBatch: typeof perBatch === 'number' ? perBatch : null }
}
