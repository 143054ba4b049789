import { lstatSync, readdirSync, readFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { ImportError } from '../model-bundle'
import type { CifarFile } from './cifar'
import { CIFAR_EXTRAS, isCifarName } from './cifar-layout'

/** CIFAR-100's train file, the largest, is about 150 MiB; anything far larger is not a CIFAR file. */
export const MAX_CIFAR_FILE_BYTES = 256 * 1024 ** 2

export interface CifarFiles {
  files: Map<string, CifarFile>
  /** The folder or file the messages start with. */
  where: string
}

function cifarFile(path: string, display: string): CifarFile {
  const st = lstatSync(path)
  if (st.isSymbolicLink()) throw new ImportError(`${display}: a link; links are not followed`)
  if (st.size > MAX_CIFAR_FILE_BYTES)
    throw new ImportError(
      `${display}: ${(st.size / 1024 ** 2).toFixed(0)} MiB, more than the ${MAX_CIFAR_FILE_BYTES / 1024 ** 2} MiB a CIFAR file may have`
    )
  return { display, read: () => new Uint8Array(readFileSync(path)) }
}

/**
 * A dropped folder that is a CIFAR download (cifar-10-batches-py and the like), or the folder the
 * archive was extracted into, holding it alone. Files the download does not name are passed over;
 * null when the folder holds no CIFAR file at all.
 */
export function cifarFilesInFolder(dir: string, depth = 0): CifarFiles | null {
  const list = readdirSync(dir)
    .filter((n) => !n.startsWith('.'))
    .map((name) => ({ name, path: join(dir, name), isDir: lstatSync(join(dir, name)).isDirectory() }))
  const cifar = list.filter((e) => !e.isDir && isCifarName(e.name))
  const dirs = list.filter((e) => e.isDir)
  if (cifar.length === 0 && dirs.length === 1 && depth === 0) return cifarFilesInFolder(dirs[0]!.path, 1)
  // No folder of class folders holds a file named like CIFAR's, so subfolders beside them are passed over too.
  if (cifar.length === 0) return null
  const files = new Map(cifar.map((e) => [e.name, cifarFile(e.path, `${basename(dir)}/${e.name}`)]))
  return { files, where: basename(dir) }
}

/** Dropped files that are CIFAR's; then every one of them must be, bar the download's readme. */
export function cifarFilesAmong(paths: string[]): CifarFiles | null {
  if (!paths.some((p) => isCifarName(basename(p)))) return null
  const files = new Map<string, CifarFile>()
  for (const p of paths) {
    const name = basename(p)
    if (CIFAR_EXTRAS.has(name)) continue
    if (!isCifarName(name)) throw new ImportError(`${name}: not a file of a CIFAR download (its batches and class names are expected)`)
    if (files.has(name)) throw new ImportError(`${name}: given twice; drop the files of one download`)
    files.set(name, cifarFile(p, name))
  }
  return { files, where: 'the files' }
}
