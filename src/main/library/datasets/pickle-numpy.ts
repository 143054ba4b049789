import { ImportError } from '../model-bundle'
import { type GlobalResolver, type PyCallable, PyObject, type PyValue, pyText, pyTypeName } from './pickle'

/**
 * The allow-list of globals a pickled numpy array needs, each a pure builder in JavaScript: the
 * array (`_reconstruct`, then its state by BUILD; `_frombuffer` in protocol 5), its dtype, numpy
 * scalars, and `_codecs.encode`, which Python 3 uses to pickle bytes in protocol 2.
 */

const ITEM_SIZES: Record<string, number> = { b1: 1, u1: 1, i1: 1, u2: 2, i2: 2, u4: 4, i4: 4, u8: 8, i8: 8, f4: 4, f8: 8 }
const LATIN1_NAMES = new Set(['latin1', 'latin-1', 'iso-8859-1', 'iso8859-1'])

const isTuple = (v: PyValue): v is readonly PyValue[] => Array.isArray(v) && Object.isFrozen(v)

/** A numpy dtype of plain numbers, little-endian or single bytes. */
export class NumpyDtype extends PyObject {
  readonly code: string
  readonly itemSize: number

  constructor(
    descr: string,
    private readonly source: string
  ) {
    super()
    const order = /^[<>|=]/.exec(descr)?.[0] ?? ''
    this.code = descr.slice(order.length)
    const size = ITEM_SIZES[this.code]
    if (size === undefined) throw new ImportError(`${source}: numpy dtype "${descr}"; only booleans, integers and floats are read`)
    this.itemSize = size
    this.checkOrder(order)
  }

  private checkOrder(order: string): void {
    if (order === '>' && this.itemSize > 1)
      throw new ImportError(`${this.source}: a big-endian numpy array (${this.code}); they are not read`)
  }

  /** (version, byte order, subarray, names, fields, item size, alignment, flags[, metadata]) */
  setState(state: PyValue): void {
    if (!isTuple(state) || state.length < 5) throw new ImportError(`${this.source}: a numpy dtype with a state of ${pyTypeName(state)}`)
    this.checkOrder(pyText(state[1]) ?? '')
    if (state[2] !== null || state[3] !== null || state[4] !== null)
      throw new ImportError(`${this.source}: a structured numpy dtype; only plain numbers are read`)
  }
}

/** A numpy array: its shape, dtype and raw C-order bytes (a view into the file, not a copy). */
export class NdArray extends PyObject {
  shape: number[] = []
  dtype: NumpyDtype | null = null
  raw: Uint8Array = new Uint8Array(0)
  private view: DataView | null = null

  constructor(private readonly source: string) {
    super()
  }

  get count(): number {
    return this.shape.reduce((a, b) => a * b, 1)
  }

  /** (version, shape, dtype, is Fortran order, raw data); older pickles leave out the version. */
  setState(state: PyValue): void {
    if (!isTuple(state) || (state.length !== 4 && state.length !== 5))
      throw new ImportError(`${this.source}: a numpy array with a state of ${pyTypeName(state)}`)
    const [shape, dtype, fortran, raw] = state.length === 5 ? state.slice(1) : state
    this.fill(raw!, dtype!, shape!, fortran === true)
  }

  fill(raw: PyValue, dtype: PyValue, shape: PyValue, fortran: boolean): this {
    if (!(dtype instanceof NumpyDtype)) throw new ImportError(`${this.source}: a numpy array whose dtype is a ${pyTypeName(dtype)}`)
    if (!isTuple(shape) || !shape.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0))
      throw new ImportError(`${this.source}: a numpy array whose shape is not a tuple of sizes`)
    if (!(raw instanceof Uint8Array))
      throw new ImportError(`${this.source}: a numpy array of Python objects (${pyTypeName(raw)}); only numbers are read`)
    this.shape = shape as number[]
    this.dtype = dtype
    if (fortran && this.shape.filter((d) => d > 1).length > 1)
      throw new ImportError(`${this.source}: a Fortran-ordered numpy array; only C order is read`)
    const expected = this.count * dtype.itemSize
    if (raw.length !== expected)
      throw new ImportError(
        `${this.source}: a numpy array of shape (${this.shape.join(', ')}) needs ${expected} bytes of ${dtype.code} but holds ${raw.length}`
      )
    this.raw = raw
    this.view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength)
    return this
  }

  /** Element i (C order) as a number. */
  valueAt(i: number): number {
    const v = this.view!
    const o = i * this.dtype!.itemSize
    switch (this.dtype!.code) {
      case 'u1':
      case 'b1':
        return this.raw[i]!
      case 'i1':
        return v.getInt8(o)
      case 'u2':
        return v.getUint16(o, true)
      case 'i2':
        return v.getInt16(o, true)
      case 'u4':
        return v.getUint32(o, true)
      case 'i4':
        return v.getInt32(o, true)
      case 'u8':
        return Number(v.getBigUint64(o, true))
      case 'i8':
        return Number(v.getBigInt64(o, true))
      case 'f4':
        return v.getFloat32(o, true)
      default:
        return v.getFloat64(o, true)
    }
  }
}

/** The globals allowed when reading `source`; everything else is refused by the pickle reader. */
export function numpyGlobals(source: string): GlobalResolver {
  const fail = (why: string): never => {
    throw new ImportError(`${source}: ${why}`)
  }
  const builder = (qualifiedName: string, call: (args: readonly PyValue[]) => PyValue): PyCallable => ({ qualifiedName, call })
  const ndarray = builder('numpy.ndarray', () => fail('the pickle calls numpy.ndarray directly; only pickled arrays are read'))
  const dtype = builder(
    'numpy.dtype',
    ([descr]) => new NumpyDtype(pyText(descr) ?? fail(`a numpy dtype named by a ${pyTypeName(descr)}`), source)
  )
  const reconstruct = builder('numpy.core.multiarray._reconstruct', ([cls]) =>
    cls === ndarray ? new NdArray(source) : fail(`_reconstruct of a ${pyTypeName(cls)}; only numpy.ndarray is read`)
  )
  const frombuffer = builder('numpy.core.numeric._frombuffer', ([raw, type, shape, order]) =>
    new NdArray(source).fill(raw ?? null, type ?? null, shape ?? null, pyText(order) === 'F')
  )
  const scalar = builder('numpy.core.multiarray.scalar', ([type, raw]) => {
    const a = new NdArray(source).fill(raw ?? null, type ?? null, Object.freeze([]), false)
    return a.valueAt(0)
  })
  const encode = builder('_codecs.encode', ([text, encoding]) => {
    const name = (pyText(encoding) ?? '').toLowerCase()
    if (typeof text !== 'string' || !LATIN1_NAMES.has(name)) return fail(`_codecs.encode other than of a str to latin1`)
    const out = new Uint8Array(text.length)
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i)
      if (c > 0xff) fail('_codecs.encode of a character outside latin1')
      out[i] = c
    }
    return out
  })
  // Python 3 pickles empty bytes, in protocol 2, as a call of bytes().
  const emptyBytes = builder('builtins.bytes', (args) => (args.length === 0 ? new Uint8Array(0) : fail('bytes() with arguments')))
  // numpy 2 pickles name numpy._core; numpy 1 and Python 2's cPickle name numpy.core.
  const allowed = new Map<string, PyCallable>([
    ['numpy.ndarray', ndarray],
    ['numpy.dtype', dtype],
    ['numpy.core.multiarray._reconstruct', reconstruct],
    ['numpy._core.multiarray._reconstruct', reconstruct],
    ['numpy.core.numeric._frombuffer', frombuffer],
    ['numpy._core.numeric._frombuffer', frombuffer],
    ['numpy.core.multiarray.scalar', scalar],
    ['numpy._core.multiarray.scalar', scalar],
    ['_codecs.encode', encode],
    ['builtins.bytes', emptyBytes],
    ['__builtin__.bytes', emptyBytes]
  ])
  return (module, name) => allowed.get(`${module}.${name}`)
}
