import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { BUILTIN_FILE_ORDER } from '../engine/data/dataset'

/** The same sha256 the engine computes when it loads a built-in dataset. */
export async function hashBuiltinDataset(resourcesDir: string, id: string): Promise<string> {
  const hash = createHash('sha256')
  for (const file of BUILTIN_FILE_ORDER) hash.update(await readFile(join(resourcesDir, 'datasets', id, file)))
  return hash.digest('hex')
}
