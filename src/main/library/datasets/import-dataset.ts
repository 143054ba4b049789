import { createHash, randomUUID } from 'node:crypto'
import { createReadStream, existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import type { DatasetImport } from '@shared/api/contract'
import { createRng, hashSeed, shuffled } from '@main/engine/util/random'
import type { AuditStore } from '@main/store/audit-store'
import { ImportError } from '../model-bundle'
import { DATASET_FILE, IMPORTED_FILES, type ImportedDatasetFile, type Scaling } from '@main/engine/data/imported-format'
import type { CifarLabels } from './cifar'
import { isTarArchive, openCifarArchive } from './cifar-archive'
import { type ColorMode, toPixels } from './image-decode'
import { IdxWriter } from './idx-writer'
import { openDatasetSource, type SourceItem } from './sources'

export type DatasetImportStep = 'reading' | 'decoding' | 'hashing' | 'copying'

export interface DatasetImportOptions {
  name?: string | undefined
  /** [height, width]; by default the size of the first image. */
  size?: [number, number] | undefined
  /** By default grey when the first image is grey, RGB otherwise. */
  color?: ColorMode | undefined
  scaling?: 'unit' | 'standardize' | undefined
  /** Share of each class held out for testing when the source has no train/test split. */
  testFraction?: number | undefined
  /** CIFAR-100's label set: its 100 fine classes (the default) or its 20 coarse ones. */
  labels?: CifarLabels | undefined
  /** Import what can be read when some files cannot; without it such files stop the import. */
  skipUnreadable?: boolean | undefined
  onProgress?: ((step: DatasetImportStep, fraction: number) => void) | undefined
  signal?: AbortSignal | undefined
}

const DEFAULT_TEST_FRACTION = 0.2
const SAMPLES_PER_CLASS = 2
// Decoding yields to the event loop this often, so the app stays responsive and a cancel lands.
const YIELD_EVERY = 64
const LISTED = 10

const slug = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 40) || 'dataset'

/** Assigns samples without a given split to train or test: per class, a seeded share for testing. */
function assignSplits(items: SourceItem[], numClasses: number, testFraction: number): { train: SourceItem[]; test: SourceItem[] } {
  if (items.every((i) => i.split !== null))
    return { train: items.filter((i) => i.split === 'train'), test: items.filter((i) => i.split === 'test') }
  const rng = createRng(hashSeed(0, 'dataset-split'))
  const train: SourceItem[] = []
  const test: SourceItem[] = []
  for (let c = 0; c < numClasses; c++) {
    const members = shuffled(
      items.filter((i) => i.label === c),
      rng
    )
    const held = members.length < 2 ? 0 : Math.min(members.length - 1, Math.max(1, Math.round(testFraction * members.length)))
    test.push(...members.slice(0, held))
    train.push(...members.slice(held))
  }
  return { train, test }
}

async function sha256Of(files: string[]): Promise<string> {
  const hash = createHash('sha256')
  for (const f of files) for await (const chunk of createReadStream(f)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

const listed = (list: { path: string; reason: string }[]) =>
  list
    .slice(0, LISTED)
    .map((u) => `  ${u.path}: ${u.reason}`)
    .join('\n') + (list.length > LISTED ? `\n  … and ${list.length - LISTED} more` : '')

/**
 * Imports a dropped dataset into the data folder: every sample is decoded, resized and converted one
 * at a time and streamed to IDX files, so memory stays near one image whatever the dataset's size.
 * Files that cannot be read stop the import with their list unless `skipUnreadable` is set; then
 * they are recorded with the dataset. Nothing reaches the store or the data folder on failure.
 */
export async function importDataset(
  deps: { store: AuditStore; dataDir: string },
  sources: string[],
  opts: DatasetImportOptions = {}
): Promise<DatasetImport> {
  const progress = opts.onProgress ?? (() => undefined)
  progress('reading', 0)
  // A tar archive streams (only CIFAR's downloads are read that way); everything else opens at once.
  const source = sources.some(isTarArchive)
    ? await openCifarArchive(sources, opts.labels, { signal: opts.signal, onProgress: (f) => progress('reading', f) })
    : openDatasetSource(sources, { labels: opts.labels })
  const numClasses = source.classNames.length
  if (numClasses > 256) throw new ImportError(`${basename(source.origin)}: ${numClasses} classes; at most 256 are supported`)
  const unreadable = [...source.rejected]

  // The first image that decodes sets the defaults for size and colour.
  let first: ReturnType<SourceItem['load']> | null = null
  for (const item of source.items) {
    try {
      first = item.load()
      break
    } catch {
      // listed below, when the item's turn comes
    }
  }
  if (!first) throw new ImportError(`${basename(source.origin)}: none of the ${source.items.length} files is a readable PNG or JPEG image`)
  const [height, width] = opts.size ?? [first.height, first.width]
  const color: ColorMode = opts.color ?? (first.grey ? 'grey' : 'rgb')
  const channels = color === 'grey' ? 1 : 3
  const testFraction = opts.testFraction ?? DEFAULT_TEST_FRACTION
  const splits = assignSplits(source.items, numClasses, testFraction)
  // Class-mixed order: a task's train or test limit takes the leading samples.
  const order = createRng(hashSeed(0, 'dataset-order'))
  const ordered = { train: shuffled(splits.train, order), test: shuffled(splits.test, order) }

  const staging = join(deps.dataDir, 'datasets', `.partial-${randomUUID()}`)
  mkdirSync(staging, { recursive: true })
  try {
    const perClass = source.classNames.map(() => ({ train: 0, test: 0 }))
    const samples: { label: number; pixels: number[] }[] = []
    const sums = new Float64Array(channels)
    const squares = new Float64Array(channels)
    const total = ordered.train.length + ordered.test.length
    let done = 0
    for (const split of ['train', 'test'] as const) {
      const images = new IdxWriter(join(staging, `${split}-images.idx`), [height, width, channels])
      const labels = new IdxWriter(join(staging, `${split}-labels.idx`), [])
      try {
        for (const item of ordered[split]) {
          if (++done % YIELD_EVERY === 0) {
            progress('decoding', done / total)
            await new Promise((r) => setImmediate(r))
            if (opts.signal?.aborted) throw new ImportError('Import cancelled; nothing was stored')
          }
          let pixels: Uint8Array
          try {
            pixels = toPixels(item.load(), height, width, color)
          } catch (err) {
            unreadable.push({ path: item.origin, reason: (err as Error).message })
            continue
          }
          images.append(pixels)
          labels.append(Uint8Array.of(item.label))
          perClass[item.label]![split]++
          if (split === 'train') {
            for (let i = 0; i < pixels.length; i++) {
              const v = pixels[i]! / 255
              sums[i % channels]! += v
              squares[i % channels]! += v * v
            }
            if (perClass[item.label]!.train <= SAMPLES_PER_CLASS) samples.push({ label: item.label, pixels: Array.from(pixels) })
          }
        }
      } finally {
        images.close()
        labels.close()
      }
    }
    if (unreadable.length > 0 && !opts.skipUnreadable) {
      throw new ImportError(
        `${basename(source.origin)}: ${unreadable.length} file${unreadable.length > 1 ? 's' : ''} could not be read:\n${listed(unreadable)}\nNothing was imported. Remove them, or import the rest and keep this list with the dataset (--skip-unreadable).`
      )
    }
    const empty = perClass.findIndex((c) => c.train === 0)
    if (empty >= 0) throw new ImportError(`${basename(source.origin)}: class "${source.classNames[empty]}" has no readable training image`)
    const trainSize = perClass.reduce((n, c) => n + c.train, 0)
    const testSize = perClass.reduce((n, c) => n + c.test, 0)
    if (testSize === 0)
      throw new ImportError(`${basename(source.origin)}: no image is left for testing; add a test split or more images per class`)

    progress('hashing', 0)
    const sha256 = await sha256Of(IMPORTED_FILES.map((f) => join(staging, f)))
    const name = opts.name ?? source.name ?? basename(source.origin).replace(/\.(npz|npy|gz)$/i, '')
    const id = `${slug(name)}-${sha256.slice(0, 8)}`
    const known = deps.store.datasets.find(id)
    if (known && !known.deletedAt) return { dataset: known, alreadyImported: true, skipped: unreadable, perClass, samples }

    let scaling: Scaling = { kind: 'unit' }
    if (opts.scaling === 'standardize') {
      const mean = Array.from(sums, (s) => s / (trainSize * height * width))
      const std = Array.from(squares, (q, c) => Math.max(Math.sqrt(Math.max(q / (trainSize * height * width) - mean[c]! ** 2, 0)), 1e-3))
      scaling = { kind: 'standardize', mean, std }
    }
    const description: ImportedDatasetFile = {
      format: 'unlearning-audit-dataset',
      version: 1,
      id,
      name,
      classNames: source.classNames,
      inputShape: [height, width, channels],
      trainSize,
      testSize,
      preprocessing: { size: [height, width], color, scaling, valueScale: source.valueScale },
      source: {
        kind: source.kind,
        name: basename(source.origin),
        split: source.items.every((i) => i.split !== null) ? 'given' : { testFraction }
      },
      skipped: unreadable,
      sha256
    }
    writeFileSync(join(staging, DATASET_FILE), JSON.stringify(description, null, 2))
    progress('copying', 0)
    const finalDir = join(deps.dataDir, 'datasets', id)
    if (existsSync(finalDir)) rmSync(finalDir, { recursive: true, force: true })
    const bytes = IMPORTED_FILES.reduce((n, f) => n + statSync(join(staging, f)).size, 0)
    renameSync(staging, finalDir)
    const dataset = deps.store.datasets.addImported({ ...description, path: join('datasets', id), bytes })
    progress('copying', 1)
    return { dataset, alreadyImported: false, skipped: unreadable, perClass, samples }
  } finally {
    rmSync(staging, { recursive: true, force: true })
  }
}
