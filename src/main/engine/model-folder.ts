import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

/**
 * The names of the files in a model folder, and the hash of its Mnemonic codes. Free of TensorFlow.js
 * on purpose: main reads these, and must not load tfjs to do it (only the engine process does).
 */
export const MODEL_JSON = 'model.json'
export const WEIGHTS_BIN = 'weights.bin'
export const CODES_FILE = 'mnemonic-codes.json'

/** sha256 of a model folder's codes file, or null when the model has no codes. */
export function codesFileSha256(dir: string): string | null {
  const file = join(dir, CODES_FILE)
  return existsSync(file) ? createHash('sha256').update(readFileSync(file)).digest('hex') : null
}
