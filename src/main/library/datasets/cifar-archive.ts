import { closeSync, createReadStream, openSync, readSync, statSync } from 'node:fs'
import { basename } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { createGunzip } from 'node:zlib'
import { ImportError } from '../model-bundle'
import { type CifarLabels, openCifar } from './cifar'
import { type CifarFiles, MAX_CIFAR_FILE_BYTES } from './cifar-files'
import { isCifarName } from './cifar-layout'
import type { DatasetSource } from './sources'
import { TarReader } from './tar'

/** A CIFAR archive inflates to about 190 MiB; a stream past this is refused, whatever its headers say. */
export const MAX_ARCHIVE_INFLATED_BYTES = 1024 ** 3

export const isTarArchive = (path: string) => /\.(tar\.gz|tgz|tar)$/i.test(path)

export interface ArchiveOptions {
  /** For tests; MAX_ARCHIVE_INFLATED_BYTES otherwise. */
  maxInflated?: number | undefined
  signal?: AbortSignal | undefined
  onProgress?: ((fraction: number) => void) | undefined
}

function isGzip(path: string): boolean {
  const fd = openSync(path, 'r')
  try {
    const magic = Buffer.alloc(2)
    return readSync(fd, magic, 0, 2, 0) === 2 && magic[0] === 0x1f && magic[1] === 0x8b
  } finally {
    closeSync(fd)
  }
}

/**
 * The CIFAR files inside a downloaded .tar.gz (or .tar), read as one stream: gunzip, then tar, keeping
 * in memory only the entries named like CIFAR's batches and class-name files. Nothing is extracted.
 */
export async function readCifarArchive(path: string, opts: ArchiveOptions = {}): Promise<CifarFiles> {
  const name = basename(path)
  const cap = opts.maxInflated ?? MAX_ARCHIVE_INFLATED_BYTES
  const gz = isGzip(path)
  if (!gz && /gz$/i.test(name)) throw new ImportError(`${name}: not a gzip file, though its name says so`)
  const total = Math.max(statSync(path).size, 1)
  const tar = new TarReader(name, (entry) => {
    if (!isCifarName(basename(entry.path))) return false
    if (entry.size > MAX_CIFAR_FILE_BYTES)
      throw new ImportError(`${name}: ${entry.path} is ${entry.size} bytes; no CIFAR file is that large`)
    return true
  })
  const input = createReadStream(path)
  let inflated = 0
  // The pipeline may reject with its own AbortError when this stage stops it; the reason is kept here.
  let refusal: ImportError | null = null
  const consume = async (stream: AsyncIterable<Buffer>) => {
    try {
      for await (const chunk of stream) {
        inflated += chunk.length
        if (inflated > cap)
          throw new ImportError(`${name}: inflates to more than ${cap / 1024 ** 2} MiB; a CIFAR archive holds about 190 MiB`)
        if (opts.signal?.aborted) throw new ImportError('Import cancelled; nothing was stored')
        tar.push(chunk)
        opts.onProgress?.(input.bytesRead / total)
      }
    } catch (err) {
      if (err instanceof ImportError) refusal = err
      throw err
    }
  }
  try {
    await (gz ? pipeline(input, createGunzip(), consume) : pipeline(input, consume))
  } catch (err) {
    if (refusal) throw refusal
    const why = (err as Error).message
    throw new ImportError(
      /unexpected end/i.test(why)
        ? `${name}: the archive ends early (it is truncated)`
        : `${name}: not a readable ${gz ? '.tar.gz' : '.tar'} archive (${why})`
    )
  }
  const files: CifarFiles['files'] = new Map()
  for (const [entry, bytes] of tar.finish()) {
    const base = basename(entry)
    if (files.has(base)) throw new ImportError(`${name}: holds two files named ${base}; import one CIFAR download at a time`)
    files.set(base, { display: `${name}:${entry}`, read: () => bytes })
  }
  return { files, where: name }
}

/** Opens a dropped CIFAR archive as a dataset source; archives of anything else are refused. */
export async function openCifarArchive(
  paths: string[],
  labels: CifarLabels | undefined,
  opts: ArchiveOptions = {}
): Promise<DatasetSource> {
  if (paths.length !== 1) throw new ImportError('Drop one archive at a time: a CIFAR .tar.gz on its own')
  const { files, where } = await readCifarArchive(paths[0]!, opts)
  const source = openCifar(files, paths[0]!, where, labels)
  if (!source)
    throw new ImportError(
      `${where}: holds no CIFAR-10 or CIFAR-100 files; of archives, only CIFAR's downloads are read (extract others and drop the folder)`
    )
  return source
}
