import { ImportError } from '../model-bundle'
import { type CifarBatch, cifarImage } from './cifar-batch'
import { readBinaryBatch, readNameList } from './cifar-binary'
import { cifarLayout, type CifarLayout } from './cifar-layout'
import { type CifarMeta, readPickleBatch, readPickleMeta } from './cifar-pickle'
import type { DatasetSource, SourceItem } from './sources'

/** CIFAR-100 labels each image twice: one of 100 fine classes and one of 20 coarse ones. */
export type CifarLabels = 'fine' | 'coarse'

/** A CIFAR file wherever it is (a folder, an archive), by its own name. */
export interface CifarFile {
  /** How messages name it: the folder or archive it is in, and its name. */
  display: string
  read(): Uint8Array
}

const CLASS_COUNTS = { 'CIFAR-10': { fine: 10, coarse: 0 }, 'CIFAR-100': { fine: 100, coarse: 20 } }

function readMeta(layout: CifarLayout, files: Map<string, CifarFile>): CifarMeta {
  const file = (name: string) => files.get(name)!
  if (layout.format === 'python') return readPickleMeta(file(layout.meta[0]!).read(), file(layout.meta[0]!).display, layout.dataset)
  const [fine, coarse] = layout.meta.map((m) => readNameList(file(m).read(), file(m).display))
  return { fine: fine!, coarse: coarse ?? null, perBatch: null }
}

function checkNames(meta: CifarMeta, layout: CifarLayout, files: Map<string, CifarFile>): void {
  // CIFAR-100's python meta holds both lists; its binary version has a file for each.
  const display = (i: number) => files.get(layout.meta[Math.min(i, layout.meta.length - 1)]!)!.display
  const want = CLASS_COUNTS[layout.dataset]
  const fine = layout.dataset === 'CIFAR-100' ? 'fine ' : ''
  if (meta.fine.length !== want.fine)
    throw new ImportError(`${display(0)}: names ${meta.fine.length} ${fine}classes; ${layout.dataset} has ${want.fine}`)
  if (meta.coarse && meta.coarse.length !== want.coarse)
    throw new ImportError(`${display(1)}: names ${meta.coarse.length} coarse classes; ${layout.dataset} has ${want.coarse}`)
}

/** Record counts and labels: each batch as its meta file announces, every label a class it names. */
function checkBatch(batch: CifarBatch, meta: CifarMeta, layout: CifarLayout): void {
  if (meta.perBatch !== null && batch.count !== meta.perBatch)
    throw new ImportError(`${batch.file}: ${batch.count} records, but ${layout.meta[0]} says each batch holds ${meta.perBatch}`)
  const sets = [[batch.fine, meta.fine.length, layout.dataset === 'CIFAR-100' ? 'fine ' : '']] as [ArrayLike<number>, number, string][]
  if (batch.coarse && meta.coarse) sets.push([batch.coarse, meta.coarse.length, 'coarse '])
  for (const [labels, n, kind] of sets) {
    for (let i = 0; i < labels.length; i++) {
      const l = labels[i]!
      if (l < 0 || l >= n)
        throw new ImportError(`${batch.file}: record ${i} has ${kind}label ${l}; ${layout.dataset} ${kind}labels go from 0 to ${n - 1}`)
    }
  }
}

/**
 * Opens a CIFAR-10 or CIFAR-100 download, python or binary version, from its files by name: the
 * class names from its meta file, train and test as the files split them, every count and label
 * checked before any image is taken. Null when none of the files is CIFAR's.
 */
export function openCifar(
  files: Map<string, CifarFile>,
  origin: string,
  where: string,
  labels: CifarLabels = 'fine'
): DatasetSource | null {
  const layout = cifarLayout([...files.keys()], where)
  if (!layout) return null
  if (labels === 'coarse' && layout.dataset !== 'CIFAR-100')
    throw new ImportError(`${where}: ${layout.dataset} has one set of labels; coarse labels exist only in CIFAR-100`)
  const meta = readMeta(layout, files)
  checkNames(meta, layout, files)
  const read = (name: string) => {
    const f = files.get(name)!
    return layout.format === 'python'
      ? readPickleBatch(f.read(), f.display, layout.dataset)
      : readBinaryBatch(f.read(), f.display, layout.dataset)
  }
  const items: SourceItem[] = []
  for (const [split, names] of [
    ['train', layout.train],
    ['test', [layout.test]]
  ] as const) {
    for (const name of names) {
      const batch = read(name)
      checkBatch(batch, meta, layout)
      const classOf = labels === 'coarse' ? batch.coarse! : batch.fine
      for (let i = 0; i < batch.count; i++) {
        items.push({ label: classOf[i]!, split, origin: `${batch.file} record ${i}`, load: () => cifarImage(batch, i) })
      }
    }
  }
  return {
    kind: layout.format === 'python' ? 'cifar-python' : 'cifar-binary',
    origin,
    name: labels === 'coarse' ? `${layout.dataset} coarse` : layout.dataset,
    classNames: labels === 'coarse' ? meta.coarse! : meta.fine,
    items,
    rejected: [],
    valueScale: null
  }
}
