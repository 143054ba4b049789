import * as tf from '@tensorflow/tfjs'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { CODES_FILE } from '../model-folder'
import { createRng, hashSeed } from '../util/random'

/** One random image per class in the model's input space, i.i.d. Uniform[0,1) like the data, seeded. */
export interface MnemonicCodes {
  /** [classes, ...inputShape] */
  values: Float32Array
  inputShape: number[]
  classes: number
  tMix: number
}

export function generateCodes(classes: number, inputShape: number[], tMix: number, seed: number): MnemonicCodes {
  const rng = createRng(hashSeed(seed, 'mnemonic-codes'))
  const size = inputShape.reduce((a, b) => a * b, 1)
  return { values: Float32Array.from({ length: classes * size }, () => rng()), inputShape, classes, tMix }
}

/**
 * Replaces each sample of a batch, with probability tMix, by its class's code (label unchanged).
 * `step` seeds the draw so training stays repeatable.
 */
export function mixCodes(x: tf.Tensor, y: tf.Tensor1D, codes: tf.Tensor, tMix: number, seed: number, step: number): tf.Tensor {
  return tf.tidy(() => {
    const rng = createRng(hashSeed(seed, `mnemonic-mix-${step}`))
    const n = x.shape[0]!
    const pick = tf.tensor(
      Float32Array.from({ length: n }, () => (rng() < tMix ? 1 : 0)),
      [n, ...Array(x.rank - 1).fill(1)]
    )
    const replacement = tf.gather(codes, tf.cast(y, 'int32'))
    return tf.add(tf.mul(x, tf.sub(1, pick)), tf.mul(replacement, pick))
  })
}

/** The codes travel with the model: a sidecar file in its folder. */
export async function saveCodes(dir: string, codes: MnemonicCodes): Promise<void> {
  await writeFile(join(dir, CODES_FILE), JSON.stringify({ ...codes, values: Array.from(codes.values) }))
}

export async function loadCodes(dir: string): Promise<MnemonicCodes | null> {
  let text: string
  try {
    text = await readFile(join(dir, CODES_FILE), 'utf8')
  } catch {
    return null
  }
  const raw = JSON.parse(text) as Omit<MnemonicCodes, 'values'> & { values: number[] }
  const size = raw.inputShape.reduce((a, b) => a * b, 1)
  if (!Array.isArray(raw.values) || raw.values.length !== raw.classes * size) throw new Error(`${join(dir, CODES_FILE)} is malformed`)
  return { ...raw, values: Float32Array.from(raw.values) }
}
