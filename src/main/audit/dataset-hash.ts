import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { DatasetLocation } from '../engine/data/catalog'
import { BUILTIN_FILE_ORDER } from '../engine/data/dataset'
import { IMPORTED_FILES } from '../engine/data/imported-format'

/** The same sha256 the engine computes when it loads the dataset. */
export async function hashDataset(location: DatasetLocation): Promise<string> {
  const hash = createHash('sha256')
  for (const file of location.imported ? IMPORTED_FILES : BUILTIN_FILE_ORDER) hash.update(await readFile(join(location.dir, file)))
  return hash.digest('hex')
}
