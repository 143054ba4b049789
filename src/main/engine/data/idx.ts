import { gunzipSync } from 'node:zlib'

/** An IDX array (LeCun's MNIST format): big-endian header, then raw values. Only ubyte data is used here. */
export interface IdxArray {
  dims: number[]
  data: Uint8Array
}

const UBYTE = 0x08

export function parseIdx(bytes: Uint8Array, source = 'IDX data'): IdxArray {
  const raw = bytes[0] === 0x1f && bytes[1] === 0x8b ? new Uint8Array(gunzipSync(bytes)) : bytes
  if (raw.length < 4) throw new Error(`${source}: too short to be an IDX file (${raw.length} bytes)`)
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength)
  if (view.getUint16(0) !== 0) throw new Error(`${source}: bad magic number (the first two bytes must be zero)`)
  const type = raw[2]!
  if (type !== UBYTE) throw new Error(`${source}: data type 0x${type.toString(16)} is not supported (only unsigned bytes, 0x08)`)
  const rank = raw[3]!
  if (rank < 1 || rank > 4) throw new Error(`${source}: ${rank} dimensions is not supported`)
  const headerBytes = 4 + 4 * rank
  if (raw.length < headerBytes) throw new Error(`${source}: the header is truncated`)
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i))
  const count = dims.reduce((a, b) => a * b, 1)
  if (raw.length !== headerBytes + count) {
    throw new Error(`${source}: the header announces ${count} values but the file holds ${raw.length - headerBytes}`)
  }
  return { dims, data: raw.subarray(headerBytes) }
}

/** Serialises a ubyte IDX array (used by tests and by dataset export). */
export function encodeIdx(dims: number[], data: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length)
  const view = new DataView(out.buffer)
  out[2] = UBYTE
  out[3] = dims.length
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d))
  out.set(data, 4 + 4 * dims.length)
  return out
}
