import { ImportError } from '../model-bundle'

const BLOCK = 512
// GNU long names and pax records are a path or a few settings; a larger one is not an honest header.
const MAX_NAME_RECORD = 64 * 1024
const utf8 = new TextDecoder()

export interface TarEntry {
  path: string
  size: number
  type: 'file' | 'dir' | 'other'
}

type Body = { entry: TarEntry; record: 'L' | 'x' | null; sink: Uint8Array | null; filled: number; dataLeft: number; padLeft: number }

/**
 * Reads a tar stream chunk by chunk (ustar and GNU headers, GNU long names, pax `path` records) and
 * keeps the bodies of the regular files `keep` chooses; the rest pass through without being held,
 * so memory holds only what is kept. Nothing is written to disk, so entry paths need no checking.
 */
export class TarReader {
  readonly kept = new Map<string, Uint8Array>()
  private readonly header = new Uint8Array(BLOCK)
  private headerFill = 0
  private body: Body | null = null
  private longPath: string | null = null
  private read = 0
  private ended = false

  constructor(
    private readonly source: string,
    private readonly keep: (entry: TarEntry) => boolean
  ) {}

  private fail(why: string): never {
    throw new ImportError(`${this.source}: ${why}`)
  }

  push(chunk: Uint8Array): void {
    let i = 0
    while (i < chunk.length && !this.ended) {
      const b = this.body
      if (b) {
        const data = Math.min(b.dataLeft, chunk.length - i)
        if (b.sink) b.sink.set(chunk.subarray(i, i + data), b.filled)
        b.filled += data
        b.dataLeft -= data
        i += data
        const pad = Math.min(b.padLeft, chunk.length - i)
        b.padLeft -= pad
        i += pad
        if (b.dataLeft === 0 && b.padLeft === 0) this.endBody(b)
      } else {
        const n = Math.min(BLOCK - this.headerFill, chunk.length - i)
        this.header.set(chunk.subarray(i, i + n), this.headerFill)
        this.headerFill += n
        i += n
        if (this.headerFill === BLOCK) {
          this.headerFill = 0
          this.startEntry()
        }
      }
    }
    this.read += chunk.length
  }

  /** Called at the end of the stream: an entry cut short means the archive was. */
  finish(): Map<string, Uint8Array> {
    if (this.body || this.headerFill > 0)
      this.fail(`the archive ends in the middle of ${this.body ? this.body.entry.path : 'a header'} (it is truncated)`)
    return this.kept
  }

  private text(from: number, length: number): string {
    const field = this.header.subarray(from, from + length)
    const end = field.indexOf(0)
    return utf8.decode(end < 0 ? field : field.subarray(0, end))
  }

  /** Octal digits, or base-256 when the high bit of the first byte is set (GNU, for sizes of 8 GiB and more). */
  private number(from: number, length: number): number {
    const field = this.header.subarray(from, from + length)
    if (field[0]! & 0x80) {
      let v = field[0]! & 0x7f
      for (let k = 1; k < length; k++) v = v * 256 + field[k]!
      return v
    }
    const digits = this.text(from, length).trim()
    if (!/^[0-7]*$/.test(digits)) this.fail(`not a tar archive, or a damaged one (a header near byte ${this.read} holds "${digits}")`)
    return digits ? parseInt(digits, 8) : 0
  }

  private startEntry(): void {
    const h = this.header
    if (h.every((x) => x === 0)) {
      this.ended = true
      return
    }
    let sum = 0
    for (let k = 0; k < BLOCK; k++) sum += k >= 148 && k < 156 ? 0x20 : h[k]!
    if (this.number(148, 8) !== sum) this.fail(`not a tar archive, or a damaged one (a header near byte ${this.read} fails its checksum)`)
    const size = this.number(124, 12)
    if (!Number.isSafeInteger(size)) this.fail(`an entry of ${size} bytes near byte ${this.read}`)
    const flag = String.fromCharCode(h[156]!)
    // POSIX ustar splits long paths into a prefix; GNU's "ustar  " header uses those bytes otherwise.
    const prefix = this.text(257, 6) === 'ustar' && h[262] === 0 ? this.text(345, 155) : ''
    let path = prefix ? `${prefix}/${this.text(0, 100)}` : this.text(0, 100)
    const record = flag === 'L' || flag === 'x' ? flag : null
    if (record && size > MAX_NAME_RECORD) this.fail(`a ${flag} header record of ${size} bytes near byte ${this.read}`)
    if (!record && this.longPath !== null) {
      path = this.longPath
      this.longPath = null
    }
    const type = ['0', '\0', '7'].includes(flag) ? 'file' : flag === '5' ? 'dir' : 'other'
    const entry: TarEntry = { path, size, type }
    const sink = record ? new Uint8Array(size) : type === 'file' && this.keep(entry) ? new Uint8Array(size) : null
    const body: Body = { entry, record, sink, filled: 0, dataLeft: size, padLeft: (BLOCK - (size % BLOCK)) % BLOCK }
    if (size === 0) this.endBody(body)
    else this.body = body
  }

  private endBody(b: Body): void {
    this.body = null
    if (b.record === 'L') this.longPath = utf8.decode(b.sink!).replace(/\0+$/, '')
    else if (b.record === 'x') {
      // Records of "<length> <key>=<value>\n"; only the path matters here.
      const path = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(utf8.decode(b.sink!))?.[1]
      if (path !== undefined) this.longPath = path
    } else if (b.sink) this.kept.set(b.entry.path, b.sink)
  }
}
