import { existsSync, lstatSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs'
import { basename, extname, isAbsolute, join, posix, resolve, sep } from 'node:path'
import { BUNDLE_MANIFEST } from '../audit/bundle/format'
import { unzipCapped } from './capped-unzip'

/** Why a dropped model (or dataset) cannot be imported: what is wrong, and where. */
export class ImportError extends Error {
  override name = 'ImportError'
}

/**
 * The files of a dropped TF.js LayersModel, wherever they came from (a folder, loose files, a
 * .zip): its model.json, and a reader for the weight files that model.json names.
 */
export interface ModelBundle {
  origin: string
  jsonName: string
  jsonBytes: Uint8Array
  readWeights(path: string): Uint8Array
  /** A file beside model.json that may be there (the Mnemonic codes sidecar); null when it is not. */
  readBeside(name: string): Uint8Array | null
}

// A zip is read into memory: refuse archives that would not fit comfortably.
const MAX_ZIP_BYTES = 1 << 30
// Larger than any classifier this app can unlearn on a CPU: refused before being read.
export const MAX_MODEL_JSON_BYTES = 32 * 1024 ** 2
export const MAX_WEIGHTS_FILE_BYTES = 1024 ** 3

const mib = (bytes: number) => `${(bytes / 1024 ** 2).toFixed(0)} MiB`

/** Reads a file of a dropped model after checking its size against the cap for its kind. */
function readCapped(file: string, cap: number, what: string): Uint8Array {
  const size = statSync(file).size
  if (size > cap) throw new ImportError(`${what} is ${mib(size)}, more than the ${mib(cap)} a model file may have here`)
  return new Uint8Array(readFileSync(file))
}

function checkCapped(bytes: Uint8Array, cap: number, what: string): Uint8Array {
  if (bytes.length > cap) throw new ImportError(`${what} is ${mib(bytes.length)}, more than the ${mib(cap)} a model file may have here`)
  return bytes
}

/** A manifest path as a clean relative path; refuses absolute paths and any `..` out of the folder. */
export function safeRelativePath(path: string, where: string): string {
  const unified = path.replace(/\\/g, '/')
  if (isAbsolute(path) || unified.startsWith('/') || /^[a-zA-Z]:/.test(unified))
    throw new ImportError(`${where}: the weights path "${path}" is absolute; paths must stay inside the model folder`)
  const normal = posix.normalize(unified)
  if (normal === '..' || normal.startsWith('../')) throw new ImportError(`${where}: the weights path "${path}" leaves the model folder`)
  return normal
}

function fromDirectory(dir: string): ModelBundle {
  const entries = readdirSync(dir)
  if (entries.length === 0) throw new ImportError(`The folder ${dir} is empty`)
  const jsons = entries.filter((f) => extname(f).toLowerCase() === '.json')
  const jsonName = entries.includes('model.json') ? 'model.json' : jsons.length === 1 ? jsons[0]! : null
  if (!jsonName)
    throw new ImportError(`${dir} has no model.json${jsons.length > 1 ? ` (and several .json files: ${jsons.join(', ')})` : ''}`)
  const root = realpathSync(dir)
  return {
    origin: dir,
    jsonName,
    jsonBytes: readCapped(join(dir, jsonName), MAX_MODEL_JSON_BYTES, jsonName),
    readWeights(path) {
      const rel = safeRelativePath(path, jsonName)
      const file = join(root, rel)
      let info
      try {
        info = lstatSync(file)
      } catch {
        throw new ImportError(`${jsonName}: the weights file "${path}" is missing from ${dir}`)
      }
      // A link could point anywhere on the machine; only real files inside the folder are read.
      if (info.isSymbolicLink()) throw new ImportError(`${jsonName}: the weights file "${path}" is a symbolic link; links are refused`)
      if (!info.isFile()) throw new ImportError(`${jsonName}: the weights path "${path}" is not a file`)
      if (!realpathSync(file).startsWith(root + sep))
        throw new ImportError(`${jsonName}: the weights file "${path}" resolves outside the model folder`)
      return readCapped(file, MAX_WEIGHTS_FILE_BYTES, `the weights file "${path}"`)
    },
    readBeside(name) {
      return existsSync(join(root, name)) ? this.readWeights(name) : null
    }
  }
}

function fromFiles(files: string[]): ModelBundle {
  const byName = new Map(files.map((f) => [basename(f), f]))
  const jsons = files.filter((f) => extname(f).toLowerCase() === '.json')
  const json = jsons.find((f) => basename(f) === 'model.json') ?? (jsons.length === 1 ? jsons[0] : undefined)
  if (!json) throw new ImportError(`Among the ${files.length} files dropped there is no model.json`)
  return {
    origin: files.join(', '),
    jsonName: basename(json),
    jsonBytes: readCapped(json, MAX_MODEL_JSON_BYTES, basename(json)),
    readWeights(path) {
      const rel = safeRelativePath(path, basename(json))
      const file = byName.get(rel)
      if (!file) throw new ImportError(`${basename(json)}: the weights file "${path}" was not among the files dropped`)
      if (lstatSync(file).isSymbolicLink())
        throw new ImportError(`${basename(json)}: the weights file "${path}" is a symbolic link; links are refused`)
      return readCapped(file, MAX_WEIGHTS_FILE_BYTES, `the weights file "${path}"`)
    },
    readBeside(name) {
      return byName.has(name) ? this.readWeights(name) : null
    }
  }
}

function fromZip(file: string): ModelBundle {
  if (statSync(file).size > MAX_ZIP_BYTES) throw new ImportError(`${file} is larger than 1 GiB; unzip it and drop the folder`)
  let entries: Record<string, Uint8Array>
  try {
    entries = unzipCapped(file, {
      // The caps of a dropped folder; any model.json in the zip may be the one read.
      entry: (name) => (posix.basename(name) === 'model.json' ? MAX_MODEL_JSON_BYTES : MAX_WEIGHTS_FILE_BYTES),
      total: MAX_ZIP_BYTES,
      refuse: (name, bytes, cap) =>
        new ImportError(
          name === null
            ? `${file} unpacks to more than 1 GiB; unzip it and drop the folder`
            : `${name} is ${mib(bytes)}, more than the ${mib(cap)} a model file may have here`
        )
    })
  } catch (err) {
    if (err instanceof ImportError) throw err
    throw new ImportError(`${file} is not a readable .zip: ${(err as Error).message}`)
  }
  const names = Object.keys(entries).filter((n) => !n.endsWith('/'))
  for (const n of names) safeRelativePath(n, basename(file))
  if (names.includes(BUNDLE_MANIFEST))
    throw new ImportError(`${basename(file)} is an audit bundle, not a model: import it as an audit bundle`)
  // model.json at the top, or in the one folder the archive wraps everything in.
  const json = names.filter((n) => posix.basename(n) === 'model.json').sort((a, b) => a.length - b.length)[0]
  if (!json) throw new ImportError(`${file} holds no model.json`)
  const dir = posix.dirname(json)
  return {
    origin: file,
    jsonName: json,
    jsonBytes: checkCapped(entries[json]!, MAX_MODEL_JSON_BYTES, json),
    readWeights(path) {
      const rel = safeRelativePath(path, json)
      const entry = entries[dir === '.' ? rel : posix.join(dir, rel)]
      if (!entry) throw new ImportError(`${json}: the weights file "${path}" is missing from ${basename(file)}`)
      return entry
    },
    readBeside(name) {
      return entries[dir === '.' ? name : posix.join(dir, name)] ?? null
    }
  }
}

/** The .onnx file dropped, or null when there is none; it must come alone (its weights are inside it). */
export function onnxFileAmong(paths: string[]): string | null {
  const onnx = paths.filter((p) => extname(p).toLowerCase() === '.onnx' && !(existsSync(p) && statSync(p).isDirectory()))
  if (onnx.length === 0) return null
  if (paths.length > 1)
    throw new ImportError(
      `Drop the .onnx file alone: an ONNX model keeps its weights inside (${basename(onnx[0]!)} came with ${paths.length - 1} other path(s))`
    )
  const file = resolve(onnx[0]!)
  if (!existsSync(file)) throw new ImportError(`${file} does not exist`)
  return file
}

/** The bundle behind what was dropped: one folder, one .zip, or several loose files. */
export function openModelBundle(paths: string[]): ModelBundle {
  if (paths.length === 0) throw new ImportError('Nothing was given to import')
  const absolute = paths.map((p) => resolve(p))
  for (const p of absolute) {
    try {
      statSync(p)
    } catch {
      throw new ImportError(`${p} does not exist`)
    }
  }
  if (absolute.length === 1) {
    const only = absolute[0]!
    if (statSync(only).isDirectory()) return fromDirectory(only)
    if (extname(only).toLowerCase() === '.zip') return fromZip(only)
  }
  if (absolute.some((p) => statSync(p).isDirectory()))
    throw new ImportError('Drop one model folder, one .zip, or the files of one model, not a mix')
  return fromFiles(absolute)
}
