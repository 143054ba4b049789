import { closeSync, fstatSync, openSync, readSync } from 'node:fs'
import { Inflate } from 'fflate'

/** What one call site lets an archive inflate to, and how it words a refusal. */
export interface ArchiveCaps {
  /** The most bytes the entry `name` may inflate to. */
  entry(name: string): number
  /** The most bytes all entries together may inflate to. */
  total: number
  /** The call site's refusal of an entry (or, with name null, of the whole archive) of `bytes`, over `cap`. */
  refuse(name: string | null, bytes: number, cap: number): Error
}

interface Entry {
  name: string
  method: number
  compressed: number
  size: number
  offset: number
}

/** Random access to the zip: an open file read a piece at a time, or bytes already in memory. */
interface Source {
  size: number
  /** Whether read() returns fresh bytes (a file) rather than a view of the caller's (bytes in memory). */
  fresh: boolean
  read(at: number, length: number): Uint8Array
  close(): void
}

const fail = (message: string): never => {
  throw new Error(message)
}

function fileSource(path: string): Source {
  const fd = openSync(path, 'r')
  const size = fstatSync(fd).size
  return {
    size,
    fresh: true,
    read(at, length) {
      if (at < 0 || at + length > size) fail('it ends before the data its headers point to')
      const out = new Uint8Array(length)
      for (let done = 0; done < length;) {
        const n = readSync(fd, out, done, Math.min(length - done, 1 << 30), at + done)
        if (n === 0) fail('it ends before the data its headers point to')
        done += n
      }
      return out
    },
    close: () => closeSync(fd)
  }
}

function bytesSource(bytes: Uint8Array): Source {
  return {
    size: bytes.length,
    fresh: false,
    read(at, length) {
      if (at < 0 || at + length > bytes.length) fail('it ends before the data its headers point to')
      return bytes.subarray(at, at + length)
    },
    close() {}
  }
}

const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength)
const u64 = (v: DataView, at: number) => {
  const n = v.getUint32(at, true) + v.getUint32(at + 4, true) * 2 ** 32
  return Number.isSafeInteger(n) ? n : fail('a ZIP64 size is out of range')
}

/** The end-of-central-directory record (ZIP64's when the classic one is saturated): where the entries are listed. */
function directoryBounds(src: Source): { count: number; start: number; length: number } {
  const tailStart = Math.max(0, src.size - 22 - 0xffff)
  const tail = src.read(tailStart, src.size - tailStart)
  const v = view(tail)
  let at = tail.length - 22
  while (at >= 0 && v.getUint32(at, true) !== 0x06054b50) at--
  if (at < 0) fail('it has no end-of-central-directory record')
  let count = v.getUint16(at + 10, true)
  let length = v.getUint32(at + 12, true)
  let start = v.getUint32(at + 16, true)
  const locator = at - 20
  if ((count === 0xffff || length === 0xffffffff || start === 0xffffffff) && locator >= 0 && v.getUint32(locator, true) === 0x07064b50) {
    const z = view(src.read(u64(v, locator + 8), 56))
    if (z.getUint32(0, true) !== 0x06064b50) fail('its ZIP64 end record is missing')
    count = u64(z, 32)
    length = u64(z, 40)
    start = u64(z, 48)
  }
  return { count, start, length }
}

/** The central directory's entries; only its sizes are used, and only as claims to check. */
function listEntries(src: Source): Entry[] {
  const { count, start, length } = directoryBounds(src)
  const dir = src.read(start, length)
  const v = view(dir)
  const entries: Entry[] = []
  let at = 0
  for (let i = 0; i < count; i++) {
    if (at + 46 > dir.length || v.getUint32(at, true) !== 0x02014b50) fail('its central directory is damaged')
    const flags = v.getUint16(at + 8, true)
    const nameLength = v.getUint16(at + 28, true)
    const extraLength = v.getUint16(at + 30, true)
    const next = at + 46 + nameLength + extraLength + v.getUint16(at + 32, true)
    if (next > dir.length) fail('its central directory is damaged')
    const nameBytes = dir.subarray(at + 46, at + 46 + nameLength)
    // Bit 11 marks UTF-8 names; older tools wrote bytes, read as Latin-1 as fflate did.
    const name = flags & 0x800 ? new TextDecoder().decode(nameBytes) : Buffer.from(nameBytes).toString('latin1')
    const entry = {
      name,
      method: v.getUint16(at + 10, true),
      compressed: v.getUint32(at + 20, true),
      size: v.getUint32(at + 24, true),
      offset: v.getUint32(at + 42, true)
    }
    // ZIP64: the saturated fields follow in the 0x0001 extra field, in this order.
    const saturated = (['size', 'compressed', 'offset'] as const).filter((k) => entry[k] === 0xffffffff)
    if (saturated.length) {
      const extra = view(dir.subarray(at + 46 + nameLength, at + 46 + nameLength + extraLength))
      let e = 0
      while (e + 4 <= extra.byteLength && extra.getUint16(e, true) !== 1) e += 4 + extra.getUint16(e + 2, true)
      if (e + 4 + 8 * saturated.length > extra.byteLength) fail(`${name}: its ZIP64 sizes are missing`)
      saturated.forEach((k, j) => (entry[k] = u64(extra, e + 4 + 8 * j)))
    }
    if (flags & 1) fail(`${name} is encrypted`)
    if (entry.method !== 0 && entry.method !== 8)
      fail(`${name} uses compression method ${entry.method}; only stored and deflated files are read`)
    entries.push(entry)
    at = next
  }
  return entries
}

// fflate inflates all a push allows before the count sees it (and leaves about three times that as
// garbage): 8 KiB of deflate input yields at most 8.3 MiB, so a bomb overshoots by little, while real
// data reads about as fast as in larger pushes.
const PUSH_BYTES = 8 * 1024

/** One entry's bytes, never more than its declared size: a zip whose output passes its claim is refused there. */
function inflateEntry(src: Source, e: Entry): Uint8Array {
  const local = view(src.read(e.offset, 30))
  if (local.getUint32(0, true) !== 0x04034b50) fail(`${e.name}: its local header is missing`)
  const dataStart = e.offset + 30 + local.getUint16(26, true) + local.getUint16(28, true)
  if (e.method === 0) {
    if (e.compressed !== e.size) fail(`${e.name} is stored as ${e.compressed} bytes, not the ${e.size} its header declares`)
    const stored = src.read(dataStart, e.size)
    return src.fresh ? stored : stored.slice()
  }
  const end = dataStart + e.compressed
  if (end > src.size) fail(`${e.name} runs past the end of the archive`)
  const out = new Uint8Array(e.size)
  let written = 0
  const inflate = new Inflate((chunk) => {
    if (written + chunk.length > e.size) fail(`${e.name} inflates past the ${e.size} bytes its header declares`)
    out.set(chunk, written)
    written += chunk.length
  })
  try {
    for (let at = dataStart; ;) {
      const n = Math.min(PUSH_BYTES, end - at)
      inflate.push(src.read(at, n), at + n === end)
      at += n
      if (at === end) break
    }
  } catch (err) {
    // fflate's own errors (a damaged stream) carry a code; they are named after the entry.
    if ((err as { code?: unknown }).code !== undefined) fail(`${e.name}: ${(err as Error).message}`)
    throw err
  }
  if (written !== e.size) fail(`${e.name} inflates to ${written} bytes, not the ${e.size} its header declares`)
  return out
}

/**
 * The files of a zip (a path, read a piece at a time, or bytes), inflated one entry after the other.
 * The sizes the central directory declares are checked against the caps before anything is inflated,
 * then every inflated byte is counted against its entry's declared size: an entry whose output passes
 * that claim is stopped there, so no entry passes its cap and the archive never passes its total.
 * A size claimed over a cap is refused for the claim alone, with the call site's wording; a claim that
 * does not match the output (larger or smaller) is an unreadable zip. Non-refusal errors are plain
 * Errors the call sites word as their own "not a readable .zip".
 */
export function unzipCapped(zip: string | Uint8Array, caps: ArchiveCaps): Record<string, Uint8Array> {
  const src = typeof zip === 'string' ? fileSource(zip) : bytesSource(zip)
  try {
    const entries = listEntries(src)
    let total = 0
    for (const e of entries) {
      const cap = caps.entry(e.name)
      if (e.size > cap) throw caps.refuse(e.name, e.size, cap)
      total += e.size
    }
    if (total > caps.total) throw caps.refuse(null, total, caps.total)
    // A null prototype: an entry named __proto__ is just a name.
    const files: Record<string, Uint8Array> = Object.create(null) as Record<string, Uint8Array>
    for (const e of entries) {
      if (e.name in files) fail(`${e.name} is in the archive twice`)
      files[e.name] = inflateEntry(src, e)
    }
    return files
  } finally {
    src.close()
  }
}
