import { closeSync, openSync, writeSync } from 'node:fs'

const UBYTE = 0x08

/**
 * Writes a ubyte IDX file one item at a time, so a large dataset never sits in memory whole. The
 * first dimension (the item count) is patched into the header at the end, when it is known.
 */
export class IdxWriter {
  private readonly fd: number
  private readonly itemBytes: number
  count = 0

  constructor(
    readonly file: string,
    private readonly itemDims: number[]
  ) {
    this.itemBytes = itemDims.reduce((a, b) => a * b, 1)
    this.fd = openSync(file, 'w')
    writeSync(this.fd, this.header(0))
  }

  append(item: Uint8Array): void {
    if (item.length !== this.itemBytes) throw new Error(`${this.file}: an item of ${item.length} bytes, expected ${this.itemBytes}`)
    writeSync(this.fd, item)
    this.count++
  }

  close(): void {
    writeSync(this.fd, this.header(this.count), 0, undefined, 0)
    closeSync(this.fd)
  }

  private header(count: number): Uint8Array {
    const dims = [count, ...this.itemDims]
    const out = new Uint8Array(4 + 4 * dims.length)
    const view = new DataView(out.buffer)
    out[2] = UBYTE
    out[3] = dims.length
    dims.forEach((d, i) => view.setUint32(4 + 4 * i, d))
    return out
  }
}
