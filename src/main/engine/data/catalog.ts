import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { type DatasetInfo, findBuiltinDataset } from '@shared/datasets'
import { describeZodError } from '@shared/zod-errors'
import { DATASET_FILE, ImportedDatasetFile } from './imported-format'

/** Where datasets live: the built-in ones among the app's resources, imported ones in the data folder. */
export interface DatasetRoots {
  resourcesDir: string
  dataDir?: string | undefined
}

export interface DatasetLocation {
  info: DatasetInfo
  dir: string
  /** The import's description; null for a built-in dataset. */
  imported: ImportedDatasetFile | null
}

// Imported ids are slugs with a hash suffix; anything else must not become part of a path.
const SAFE_ID = /^[a-z0-9][a-z0-9-]{0,80}$/

export function locateDataset(roots: DatasetRoots, id: string): DatasetLocation | null {
  const builtin = findBuiltinDataset(id)
  if (builtin) return { info: builtin, dir: join(roots.resourcesDir, 'datasets', id), imported: null }
  if (!roots.dataDir || !SAFE_ID.test(id)) return null
  const dir = join(roots.dataDir, 'datasets', id)
  const file = join(dir, DATASET_FILE)
  if (!existsSync(file)) return null
  const parsed = ImportedDatasetFile.safeParse(JSON.parse(readFileSync(file, 'utf8')))
  if (!parsed.success) throw new Error(`${file}: not a valid dataset description (${describeZodError(parsed.error)})`)
  const d = parsed.data
  const info: DatasetInfo = {
    id: d.id,
    name: d.name,
    classNames: d.classNames,
    inputShape: d.inputShape,
    trainSize: d.trainSize,
    testSize: d.testSize,
    licence: 'supplied by the user'
  }
  return { info, dir, imported: d }
}

export function requireDataset(roots: DatasetRoots, id: string): DatasetLocation {
  const found = locateDataset(roots, id)
  if (!found) throw new Error(`Unknown dataset "${id}": neither built in nor imported into this data folder`)
  return found
}
