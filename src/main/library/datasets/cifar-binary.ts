import { ImportError } from '../model-bundle'
import { CIFAR_IMAGE_BYTES, type CifarBatch } from './cifar-batch'
import type { CifarLayout } from './cifar-layout'

/**
 * A binary-version batch: records one after another, each the label byte (CIFAR-10) or the coarse
 * then the fine label byte (CIFAR-100), then the 3072 pixel bytes. There is no header, so the size
 * is the only check of the record count: it must be a whole number of records.
 */
export function readBinaryBatch(bytes: Uint8Array, file: string, dataset: CifarLayout['dataset']): CifarBatch {
  const labelBytes = dataset === 'CIFAR-10' ? 1 : 2
  const record = labelBytes + CIFAR_IMAGE_BYTES
  if (bytes.length === 0 || bytes.length % record !== 0) {
    const layout = dataset === 'CIFAR-10' ? '1 label byte' : '2 label bytes, coarse then fine,'
    throw new ImportError(
      `${file}: ${bytes.length} bytes is not a whole number of ${record}-byte records (${layout} and ${CIFAR_IMAGE_BYTES} pixel bytes); the file is truncated or not a ${dataset} batch`
    )
  }
  const count = bytes.length / record
  const fine = new Uint8Array(count)
  const coarse = labelBytes === 2 ? new Uint8Array(count) : null
  for (let i = 0; i < count; i++) {
    fine[i] = bytes[i * record + labelBytes - 1]!
    if (coarse) coarse[i] = bytes[i * record]!
  }
  return { file, count, bytes, start: labelBytes, stride: record, fine, coarse }
}

/** batches.meta.txt, fine_label_names.txt, coarse_label_names.txt: one class name a line. */
export function readNameList(bytes: Uint8Array, file: string): string[] {
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    throw new ImportError(`${file}: not a text file of class names`)
  }
  return text
    .split(/\r?\n/)
    .map((s) => s.trim())
    .filter(Boolean)
}
