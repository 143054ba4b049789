import { lstatSync, readdirSync, readFileSync } from 'node:fs'
import { basename, join, relative } from 'node:path'
import { parseIdx } from '@main/engine/data/idx'
import { ImportError } from '../model-bundle'
import { type CifarLabels, openCifar } from './cifar'
import { cifarFilesAmong, cifarFilesInFolder } from './cifar-files'
import { decodeImage, type RgbaImage } from './image-decode'
import { type NpyArray, parseNpy, parseNpz, valueAt } from './npy'

/** One sample of a dropped dataset, decoded only when the import reaches it. */
export interface SourceItem {
  label: number
  /** Which split the source put it in; null when the import splits by ratio. */
  split: 'train' | 'test' | null
  /** Where it came from, for the list of files that could not be read. */
  origin: string
  load(): RgbaImage
}

export interface DatasetSource {
  kind: 'image-folder' | 'idx' | 'npz' | 'npy' | 'cifar-python' | 'cifar-binary'
  origin: string
  /** The dataset's name unless the user gives one; by default it comes from the file or folder name. */
  name?: string
  classNames: string[]
  items: SourceItem[]
  /** Files that are not samples at all (outside any class folder, links), listed with the reason. */
  rejected: { path: string; reason: string }[]
  /** How stored values became 0-255 bytes (arrays of floats); null for images and byte arrays. */
  valueScale: string | null
}

// Operating-system bookkeeping files, not part of anyone's data.
const OS_FILES = new Set(['thumbs.db', 'desktop.ini'])
const isOsFile = (name: string) => name.startsWith('.') || OS_FILES.has(name.toLowerCase())
const byName = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true })

function entries(dir: string): { name: string; path: string; kind: 'dir' | 'file' | 'link' }[] {
  return readdirSync(dir)
    .filter((n) => !isOsFile(n))
    .sort(byName)
    .map((name) => {
      const path = join(dir, name)
      const st = lstatSync(path)
      return { name, path, kind: st.isSymbolicLink() ? 'link' : st.isDirectory() ? 'dir' : 'file' }
    })
}

/**
 * Opens what was dropped: a folder of class folders, IDX files, an .npz archive, .npy files, or a
 * CIFAR-10/100 download's folder or files (its archive is opened by cifar-archive.ts, as it streams).
 */
export function openDatasetSource(paths: string[], opts: { labels?: CifarLabels | undefined } = {}): DatasetSource {
  if (paths.length === 0) throw new ImportError('Nothing to import: no files were given')
  const files = paths.flatMap((p) => (lstatSync(p).isDirectory() ? [] : [p]))
  const dirs = paths.filter((p) => lstatSync(p).isDirectory())
  if (dirs.length > 1 || (dirs.length === 1 && files.length > 0))
    throw new ImportError('Drop one dataset at a time: one folder, or the files of one dataset')
  const cifar = dirs.length === 1 ? cifarFilesInFolder(dirs[0]!) : cifarFilesAmong(files)
  if (cifar) return openCifar(cifar.files, dirs[0] ?? files[0]!, cifar.where, opts.labels)!
  if (opts.labels === 'coarse') throw new ImportError('Coarse labels exist only in CIFAR-100; this is not a CIFAR download')
  if (dirs.length === 1) {
    const dir = dirs[0]!
    const list = entries(dir)
    if (list.length === 0) throw new ImportError(`${basename(dir)}: the folder is empty`)
    const arrays = list.filter((e) => e.kind === 'file' && /\.(npz|npy)$|idx\d-ubyte(\.gz)?$/i.test(e.name)).map((e) => e.path)
    if (list.some((e) => e.kind === 'dir')) return imageFolder(dir, list)
    if (arrays.length > 0) return arrayFiles(arrays, dir)
    throw new ImportError(`${basename(dir)}: no class folders of images, IDX files or NumPy files were found`)
  }
  return arrayFiles(files, files[0]!)
}

function imageFolder(root: string, list: ReturnType<typeof entries>): DatasetSource {
  const rejected: DatasetSource['rejected'] = []
  const items: SourceItem[] = []
  const dirs = list.filter((e) => e.kind === 'dir')
  const splitDirs = new Map(dirs.filter((d) => ['train', 'test'].includes(d.name.toLowerCase())).map((d) => [d.name.toLowerCase(), d]))
  const hasSplits = splitDirs.has('train') && splitDirs.has('test')
  for (const e of list) {
    if (e.kind === 'file') rejected.push({ path: relative(root, e.path), reason: 'not inside a class folder' })
    if (e.kind === 'link') rejected.push({ path: relative(root, e.path), reason: 'a link; links are not followed' })
  }
  const classDirs = (dir: string) => entries(dir).filter((e) => e.kind === 'dir')
  const classNames = hasSplits
    ? [...new Set(classDirs(splitDirs.get('train')!.path).map((d) => d.name))].sort(byName)
    : dirs.map((d) => d.name)
  if (classNames.length < 2)
    throw new ImportError(`${basename(root)}: ${classNames.length} class folder found; a classifier needs at least 2`)
  const collect = (dir: string, label: number, split: SourceItem['split']) => {
    for (const e of entries(dir)) {
      if (e.kind === 'dir') collect(e.path, label, split)
      else if (e.kind === 'link') rejected.push({ path: relative(root, e.path), reason: 'a link; links are not followed' })
      else items.push({ label, split, origin: relative(root, e.path), load: () => decodeImage(readFileSync(e.path)) })
    }
  }
  if (hasSplits) {
    for (const split of ['train', 'test'] as const) {
      for (const d of classDirs(splitDirs.get(split)!.path)) {
        const label = classNames.indexOf(d.name)
        if (label < 0) throw new ImportError(`${basename(root)}: test/${d.name} is a class that train/ does not have`)
        collect(d.path, label, split)
      }
    }
  } else classNames.forEach((name, label) => collect(join(root, name), label, null))
  if (items.length === 0) throw new ImportError(`${basename(root)}: the class folders hold no files`)
  return { kind: 'image-folder', origin: root, classNames, items, rejected, valueScale: null }
}

/** Images in NHW, NHWC or NCHW order and labels as one integer per image. */
interface ArrayPair {
  images: NpyArray
  labels: NpyArray
  split: SourceItem['split']
}

function arrayFiles(paths: string[], origin: string): DatasetSource {
  const name = (p: string) => basename(p).toLowerCase()
  const idx = paths.filter((p) => /idx\d-ubyte(\.gz)?$/i.test(p))
  const npz = paths.filter((p) => name(p).endsWith('.npz'))
  const npy = paths.filter((p) => name(p).endsWith('.npy'))
  const other = paths.filter((p) => !idx.includes(p) && !npz.includes(p) && !npy.includes(p) && !/classes\.txt$/i.test(p))
  if (other.length > 0) throw new ImportError(`${basename(other[0]!)}: not a dataset file (expected IDX, .npz or .npy files)`)
  let kind: DatasetSource['kind']
  let pairs: ArrayPair[]
  if (idx.length > 0) {
    kind = 'idx'
    pairs = pairUp(idx, (p) => {
      const a = parseIdx(new Uint8Array(readFileSync(p)), basename(p))
      return { shape: a.dims, dtype: 'u1', data: a.data }
    })
  } else if (npz.length === 1 && npy.length === 0) {
    kind = 'npz'
    const arrays = parseNpz(new Uint8Array(readFileSync(npz[0]!)), basename(npz[0]!))
    pairs = pairFromNames(arrays, basename(npz[0]!))
  } else if (npy.length > 0 && npz.length === 0) {
    kind = 'npy'
    pairs = pairUp(npy, (p) => parseNpy(new Uint8Array(readFileSync(p)), basename(p)))
  } else throw new ImportError('Drop one .npz archive, or .npy files, or IDX files: not a mix')
  const classesFile = paths.find((p) => /classes\.txt$/i.test(p))
  return fromArrays(
    kind,
    origin,
    pairs,
    classesFile
      ? readFileSync(classesFile, 'utf8')
          .split(/\r?\n/)
          .map((s) => s.trim())
          .filter(Boolean)
      : null
  )
}

/** Matches image and label files by name: "images"/"x" against "labels"/"y", and "train" against "test"/"t10k". */
function pairUp(paths: string[], read: (p: string) => NpyArray): ArrayPair[] {
  const role = (p: string) => (/label|(^|[^a-z])y([^a-z]|$)/i.test(basename(p)) ? 'labels' : 'images')
  const split = (p: string): SourceItem['split'] => (/t10k|test/i.test(basename(p)) ? 'test' : /train/i.test(basename(p)) ? 'train' : null)
  const pairs: ArrayPair[] = []
  for (const s of ['train', 'test', null] as const) {
    const group = paths.filter((p) => split(p) === s)
    if (group.length === 0) continue
    const images = group.filter((p) => role(p) === 'images')
    const labels = group.filter((p) => role(p) === 'labels')
    if (images.length !== 1 || labels.length !== 1) {
      throw new ImportError(
        `${group.map((p) => basename(p)).join(', ')}: expected one images file and one labels file${s ? ` for ${s}` : ''}`
      )
    }
    pairs.push({ images: read(images[0]!), labels: read(labels[0]!), split: s })
  }
  return pairs
}

function pairFromNames(arrays: Map<string, NpyArray>, source: string): ArrayPair[] {
  const get = (...names: string[]) => names.map((n) => arrays.get(n)).find(Boolean)
  const trainX = get('x_train', 'train_images', 'images_train')
  const trainY = get('y_train', 'train_labels', 'labels_train')
  if (trainX && trainY) {
    const testX = get('x_test', 'test_images', 'images_test')
    const testY = get('y_test', 'test_labels', 'labels_test')
    if (!testX !== !testY) throw new ImportError(`${source}: test images and test labels must come together`)
    return [
      { images: trainX, labels: trainY, split: testX ? 'train' : null },
      ...(testX && testY ? [{ images: testX, labels: testY, split: 'test' as const }] : [])
    ]
  }
  const x = get('x', 'images', 'data')
  const y = get('y', 'labels', 'targets')
  if (x && y) return [{ images: x, labels: y, split: null }]
  throw new ImportError(
    `${source}: holds ${[...arrays.keys()].join(', ') || 'no arrays'}; expected x_train/y_train (and x_test/y_test), or x/y, or images/labels`
  )
}

function fromArrays(kind: DatasetSource['kind'], origin: string, pairs: ArrayPair[], names: string[] | null): DatasetSource {
  const items: SourceItem[] = []
  let maxLabel = 0
  let valueScale: string | null = null
  for (const { images, labels, split } of pairs) {
    const what = split ?? 'the'
    const n = images.shape[0] ?? 0
    if (labels.shape.length !== 1 && !(labels.shape.length === 2 && labels.shape[1] === 1)) {
      throw new ImportError(`${what} labels: shape [${labels.shape.join(', ')}]; expected one class index per image`)
    }
    if (labels.shape[0] !== n) throw new ImportError(`${what} images: ${n} images but ${labels.shape[0]} labels`)
    const layout = imageLayout(images.shape, what)
    const scale = byteScale(images)
    if (scale.note) valueScale = scale.note
    for (let i = 0; i < n; i++) {
      const label = valueAt(labels, i)
      if (!Number.isInteger(label) || label < 0) throw new ImportError(`${what} labels[${i}]: ${label} is not a class index (0, 1, 2, …)`)
      maxLabel = Math.max(maxLabel, label)
      items.push({ label, split, origin: `${what} images[${i}]`, load: () => arrayImage(images, i, layout, scale.factor) })
    }
  }
  const numClasses = Math.max(maxLabel + 1, names?.length ?? 0)
  if (numClasses < 2) throw new ImportError('the labels hold a single class; a classifier needs at least 2')
  const classNames = names ?? Array.from({ length: numClasses }, (_, i) => String(i))
  if (classNames.length < numClasses)
    throw new ImportError(`classes.txt names ${classNames.length} classes but the labels go up to ${maxLabel}`)
  return { kind, origin, classNames, items, rejected: [], valueScale }
}

interface Layout {
  h: number
  w: number
  c: number
  channelsFirst: boolean
}

function imageLayout(shape: number[], what: string): Layout {
  const [, a, b, c] = shape
  if (shape.length === 3) return { h: a!, w: b!, c: 1, channelsFirst: false }
  if (shape.length === 4 && (c === 1 || c === 3)) return { h: a!, w: b!, c: c, channelsFirst: false }
  if (shape.length === 4 && (a === 1 || a === 3)) return { h: b!, w: c!, c: a, channelsFirst: true }
  throw new ImportError(`${what} images: shape [${shape.join(', ')}]; expected [N, height, width] or [N, height, width, 1 or 3]`)
}

/** Byte arrays are taken as they are; floats in [0,1] are scaled by 255, other values are clipped to 0-255. */
function byteScale(images: NpyArray): { factor: number; note: string | null } {
  if (images.dtype === 'u1') return { factor: 1, note: null }
  let max = -Infinity
  for (let i = 0; i < images.data.length; i++) max = Math.max(max, valueAt(images, i))
  return max <= 1
    ? { factor: 255, note: `${images.dtype} values in [0, 1], multiplied by 255 and rounded to bytes` }
    : { factor: 1, note: `${images.dtype} values rounded and clipped to 0-255` }
}

function arrayImage(images: NpyArray, i: number, { h, w, c, channelsFirst }: Layout, factor: number): RgbaImage {
  const data = new Uint8Array(h * w * 4)
  const base = i * h * w * c
  for (let p = 0; p < h * w; p++) {
    for (let ch = 0; ch < 3; ch++) {
      const k = c === 1 ? 0 : ch
      const v = valueAt(images, base + (channelsFirst ? k * h * w + p : p * c + k))
      data[p * 4 + ch] = Math.min(255, Math.max(0, Math.round(v * factor)))
    }
    data[p * 4 + 3] = 255
  }
  return { width: w, height: h, data, grey: c === 1 }
}
