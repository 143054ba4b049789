import { randomUUID } from 'node:crypto'
import { appendFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { ImportError, safeRelativePath } from './model-bundle'

// What one drop may bring in; a bigger dataset goes through the command line, from its folder.
const MAX_UPLOAD_BYTES = 4 * 1024 ** 3

/**
 * Files a renderer sends before an import (it has their bytes, not their paths): each upload is a
 * folder under the data folder that mirrors the dropped tree. Paths are checked like a model's
 * weight paths, so nothing is written outside it. Uploads left by a crash are cleared at start.
 */
export class UploadArea {
  private readonly root: string
  private readonly sizes = new Map<string, number>()

  constructor(dataDir: string) {
    this.root = join(dataDir, 'uploads')
    rmSync(this.root, { recursive: true, force: true })
  }

  begin(): string {
    const id = randomUUID()
    mkdirSync(join(this.root, id), { recursive: true })
    this.sizes.set(id, 0)
    return id
  }

  /** Writes (or appends, for a file sent in several chunks) one file of an upload. */
  write(uploadId: string, path: string, bytes: Uint8Array, append: boolean): number {
    const used = this.sizes.get(uploadId)
    if (used === undefined) throw new ImportError(`No upload ${uploadId} in progress`)
    if (used + bytes.length > MAX_UPLOAD_BYTES)
      throw new ImportError(
        `The files are larger than ${MAX_UPLOAD_BYTES / 1024 ** 3} GB; import them from the command line (npm run audit -- import-dataset)`
      )
    const file = join(this.root, uploadId, safeRelativePath(path, 'upload'))
    mkdirSync(dirname(file), { recursive: true })
    if (append) appendFileSync(file, bytes)
    else writeFileSync(file, bytes)
    this.sizes.set(uploadId, used + bytes.length)
    return statSync(file).size
  }

  /** What was dropped, as paths an import takes: the one top folder, or the top-level files. */
  sources(uploadId: string): string[] {
    const dir = join(this.root, uploadId)
    if (!this.sizes.has(uploadId) || !existsSync(dir)) throw new ImportError(`No upload ${uploadId} in progress`)
    const top = readdirSync(dir).map((n) => join(dir, n))
    if (top.length === 1 && statSync(top[0]!).isDirectory()) return top
    if (top.some((p) => statSync(p).isDirectory())) return [dir]
    if (top.length === 0) throw new ImportError('Nothing was dropped: the upload is empty')
    return top
  }

  discard(uploadId: string): void {
    if (!this.sizes.delete(uploadId)) return
    rmSync(join(this.root, uploadId), { recursive: true, force: true })
  }
}
