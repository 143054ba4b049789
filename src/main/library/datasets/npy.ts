import { unzipCapped } from '../capped-unzip'
import { ImportError } from '../model-bundle'

// An .npz is unpacked into memory: one array up to 2 GiB, the archive up to the 4 GiB an upload may be.
const MAX_NPZ_ARRAY_BYTES = 2 * 1024 ** 3
const MAX_NPZ_BYTES = 4 * 1024 ** 3
const gib = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(1)} GiB`

/** A NumPy array read from a `.npy` file: its shape and its values as doubles or bytes. */
export interface NpyArray {
  shape: number[]
  dtype: string
  /** The values in C order; uint8 arrays stay bytes so a 60,000-image array is not copied to doubles. */
  data: Uint8Array | Float32Array | Float64Array | Int32Array | Int16Array | Int8Array | Uint16Array | BigInt64Array
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59] // \x93NUMPY

/** Parses the `.npy` format (versions 1-3): a magic string, a Python-dict header, then the raw values. */
export function parseNpy(bytes: Uint8Array, source: string): NpyArray {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b))
    throw new ImportError(`${source}: not a NumPy .npy file (the magic string is missing)`)
  const major = bytes[6]!
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true)
  const headerStart = major === 1 ? 10 : 12
  const header = new TextDecoder().decode(bytes.subarray(headerStart, headerStart + headerLength))
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1]
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1]
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1]
  if (!descr || !fortran || shapeText === undefined) throw new ImportError(`${source}: the .npy header cannot be read`)
  if (fortran === 'True') throw new ImportError(`${source}: Fortran-ordered arrays are not supported; save it with np.ascontiguousarray`)
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number)
  const count = shape.reduce((a, b) => a * b, 1)
  const start = headerStart + headerLength
  const body = bytes.slice(start) // a copy, so typed views are aligned
  const dtype = descr.replace(/^[<|=]/, '')
  if (descr.startsWith('>')) throw new ImportError(`${source}: big-endian arrays are not supported`)
  const kinds: Record<string, [number, (b: ArrayBuffer, n: number) => NpyArray['data']]> = {
    u1: [1, (b, n) => new Uint8Array(b, 0, n)],
    b1: [1, (b, n) => new Uint8Array(b, 0, n)],
    i1: [1, (b, n) => new Int8Array(b, 0, n)],
    u2: [2, (b, n) => new Uint16Array(b, 0, n)],
    i2: [2, (b, n) => new Int16Array(b, 0, n)],
    i4: [4, (b, n) => new Int32Array(b, 0, n)],
    i8: [8, (b, n) => new BigInt64Array(b, 0, n)],
    f4: [4, (b, n) => new Float32Array(b, 0, n)],
    f8: [8, (b, n) => new Float64Array(b, 0, n)]
  }
  const kind = kinds[dtype]
  if (!kind) throw new ImportError(`${source}: data type "${descr}" is not supported (use uint8, integers or floats)`)
  if (body.length < count * kind[0]) {
    throw new ImportError(`${source}: the header announces ${count} values of ${kind[0]} bytes but the file holds ${body.length} bytes`)
  }
  return { shape, dtype, data: kind[1](body.buffer, count) }
}

/** The arrays of an `.npz` archive (a zip of `.npy` files), by name without the extension. */
export function parseNpz(bytes: Uint8Array, source: string): Map<string, NpyArray> {
  let entries: Record<string, Uint8Array>
  try {
    entries = unzipCapped(bytes, {
      entry: () => MAX_NPZ_ARRAY_BYTES,
      total: MAX_NPZ_BYTES,
      refuse: (name, size, cap) =>
        new ImportError(
          name === null
            ? `${source}: its arrays unpack to ${gib(size)}, more than the ${gib(cap)} an .npz archive may hold here`
            : `${source}: the array ${name} unpacks to ${gib(size)}, more than the ${gib(cap)} one array may have here`
        )
    })
  } catch (err) {
    if (err instanceof ImportError) throw err
    throw new ImportError(`${source}: not a readable .npz archive (${(err as Error).message})`)
  }
  const arrays = new Map<string, NpyArray>()
  for (const [name, data] of Object.entries(entries)) {
    if (name.endsWith('.npy')) arrays.set(name.slice(0, -4), parseNpy(data, `${source}:${name}`))
  }
  return arrays
}

/** Element i of an array as a number (integer dtypes of 64 bits included). */
export function valueAt(a: NpyArray, i: number): number {
  return Number(a.data[i]!)
}
