import { ImportError } from '../model-bundle'

/**
 * A restricted reader of Python pickles, enough for CIFAR's batches (protocols 0-5 in their binary
 * opcodes). A pickle is a program for a stack machine; this one runs only the opcodes that build
 * plain values (numbers, strings, bytes, lists, tuples, dicts) and calls nothing but the globals its
 * caller allows, which are pure JavaScript builders: any other global is refused by name before it
 * is used, and nothing of Python is ever run.
 *
 * Written here rather than taken from npm: the JavaScript pickle parsers there (pickleparser, jpickle)
 * turn an unknown global into a placeholder and read on instead of refusing it, build no numpy
 * arrays, and pickleparser stops at protocol 4 and stores dicts as plain objects (a key such as
 * "__proto__" then lands on the prototype). An allow-list reader of this size is easier to trust.
 */

/** A value the pickle built. Tuples are frozen arrays; dict keys are read as text. */
export type PyValue = null | boolean | number | bigint | string | Uint8Array | readonly PyValue[] | PyDict | PyCallable | PyObject

export class PyDict extends Map<string, PyValue> {}

/** An allowed global: a pure builder called by REDUCE with the argument tuple. */
export interface PyCallable {
  readonly qualifiedName: string
  call(args: readonly PyValue[]): PyValue
}

/** An object an allowed global built whose state arrives later, by BUILD, as Python sets it in place. */
export abstract class PyObject {
  abstract setState(state: PyValue): void
}

/** Looks a global up in the caller's allow-list; undefined refuses it. */
export type GlobalResolver = (module: string, name: string) => PyCallable | undefined

const HIGHEST_PROTOCOL = 5
const MAX_LINE = 256
const latin1 = new TextDecoder('latin1')
const utf8 = new TextDecoder('utf-8', { fatal: true })

// Opcodes this reader declines, named so the refusal says what the file asked for.
const REFUSED: Record<number, string> = {
  0x69: 'INST (creates an object)',
  0x6f: 'OBJ (creates an object)',
  0x81: 'NEWOBJ (creates an object)',
  0x92: 'NEWOBJ_EX (creates an object)',
  0x50: 'PERSID (an outside reference)',
  0x51: 'BINPERSID (an outside reference)',
  0x82: 'EXT1 (a registered extension)',
  0x83: 'EXT2 (a registered extension)',
  0x84: 'EXT4 (a registered extension)',
  0x97: 'NEXT_BUFFER (data kept outside the file)'
}

// Real opcodes that CIFAR's files do not use and this reader does not implement.
const UNREAD: Record<number, string> = {
  0x53: 'STRING',
  0x56: 'UNICODE',
  0x46: 'FLOAT',
  0x4c: 'LONG',
  0x8f: 'EMPTY_SET',
  0x90: 'ADDITEMS',
  0x91: 'FROZENSET'
}

/** Python's name for a value's type, for the messages. */
export function pyTypeName(v: PyValue | undefined): string {
  if (v === null || v === undefined) return 'None'
  if (typeof v === 'boolean') return 'bool'
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float'
  if (typeof v === 'bigint') return 'int'
  if (typeof v === 'string') return 'str'
  if (v instanceof Uint8Array) return 'bytes'
  if (v instanceof PyDict) return 'dict'
  if (Array.isArray(v)) return Object.isFrozen(v) ? 'tuple' : 'list'
  if (v instanceof PyObject) return v.constructor.name
  return (v as PyCallable).qualifiedName
}

/** Text from a Python 3 str or a Python 2 str (bytes, read as Latin-1 like Python's encoding='latin1'). */
export function pyText(v: PyValue | undefined): string | null {
  if (typeof v === 'string') return v
  if (v instanceof Uint8Array) return latin1.decode(v)
  return null
}

class Reader {
  pos = 0
  private readonly view: DataView

  constructor(
    private readonly bytes: Uint8Array,
    private readonly source: string
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  }

  fail(why: string): never {
    throw new ImportError(`${this.source}: ${why}`)
  }

  private need(n: number): number {
    if (n > this.bytes.length - this.pos)
      this.fail(`the pickle ends at byte ${this.bytes.length} in the middle of a value that needs ${n} more bytes (the file is truncated)`)
    const at = this.pos
    this.pos += n
    return at
  }

  u8 = () => this.bytes[this.need(1)]!
  u16 = () => this.view.getUint16(this.need(2), true)
  u32 = () => this.view.getUint32(this.need(4), true)
  i32 = () => this.view.getInt32(this.need(4), true)
  f64be = () => this.view.getFloat64(this.need(8), false)
  u64(): number {
    const at = this.need(8)
    const v = this.view.getBigUint64(at, true)
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) this.fail(`a length of ${v} bytes at byte ${at}`)
    return Number(v)
  }
  /** A view, not a copy: a 150 MB image array stays inside the file's buffer. */
  take = (n: number) => this.bytes.subarray(this.need(n), this.pos)
  line(): string {
    const end = this.bytes.indexOf(0x0a, this.pos)
    if (end < 0 || end - this.pos > MAX_LINE) this.fail(`the pickle ends, or a text line runs past ${MAX_LINE} bytes, at byte ${this.pos}`)
    const text = latin1.decode(this.bytes.subarray(this.pos, end))
    this.pos = end + 1
    return text
  }
  get done(): boolean {
    return this.pos >= this.bytes.length
  }
}

/** Little-endian two's complement, as LONG1 stores integers; up to 8 bytes. */
function littleSigned(b: Uint8Array): number | bigint {
  let v = 0n
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!)
  if (b.length > 0 && b[b.length - 1]! & 0x80) v -= 1n << BigInt(8 * b.length)
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v
}

const tuple = (items: PyValue[]): readonly PyValue[] => Object.freeze(items)

/** Runs a pickle under the allow-list and returns the value it stops with. */
export function readPickle(bytes: Uint8Array, source: string, resolveGlobal: GlobalResolver): PyValue {
  const r: Reader = new Reader(bytes, source)
  const stack: PyValue[] = []
  const marks: number[] = []
  const memo = new Map<number, PyValue>()
  let at = 0

  const pop = (): PyValue => {
    if (stack.length <= (marks.at(-1) ?? 0)) r.fail(`the pickle is damaged: opcode at byte ${at} finds nothing on the stack`)
    return stack.pop()!
  }
  const top = (): PyValue => {
    if (stack.length <= (marks.at(-1) ?? 0)) r.fail(`the pickle is damaged: opcode at byte ${at} finds nothing on the stack`)
    return stack[stack.length - 1]!
  }
  const popMark = (): PyValue[] => {
    const mark = marks.pop()
    if (mark === undefined) r.fail(`the pickle is damaged: opcode at byte ${at} has no MARK before it`)
    return stack.splice(mark)
  }
  const get = (index: number): PyValue => {
    if (!memo.has(index)) r.fail(`the pickle is damaged: byte ${at} refers to memo entry ${index}, which was never stored`)
    return memo.get(index)!
  }
  const key = (k: PyValue): string => {
    const text = pyText(k)
    if (text !== null) return text
    if (typeof k === 'number' || typeof k === 'bigint' || typeof k === 'boolean' || k === null) return String(k)
    return r.fail(`a dict key of type ${pyTypeName(k)} at byte ${at}; only numpy arrays and plain values are read`)
  }
  const dictOnTop = (): PyDict => {
    const d = top()
    return d instanceof PyDict ? d : r.fail(`the pickle is damaged: byte ${at} sets an item on a ${pyTypeName(d)}`)
  }
  const listOnTop = (): PyValue[] => {
    const l = top()
    return Array.isArray(l) && !Object.isFrozen(l)
      ? (l as PyValue[])
      : r.fail(`the pickle is damaged: byte ${at} appends to a ${pyTypeName(l)}`)
  }
  const global = (module: string, name: string): PyCallable => {
    const found = resolveGlobal(module, name)
    if (!found) r.fail(`the pickle refers to ${module}.${name}; only numpy arrays and plain values are read`)
    return found
  }
  const text = (b: Uint8Array): string => {
    try {
      return utf8.decode(b)
    } catch {
      return r.fail(`a string at byte ${at} is not valid UTF-8`)
    }
  }

  for (;;) {
    if (r.done) r.fail(`the pickle ends at byte ${bytes.length} before its STOP opcode (the file is truncated)`)
    at = r.pos
    const op = r.u8()
    switch (op) {
      case 0x80: {
        const protocol = r.u8()
        if (protocol > HIGHEST_PROTOCOL) r.fail(`pickle protocol ${protocol}; protocols up to ${HIGHEST_PROTOCOL} are read`)
        break
      }
      case 0x95: // FRAME: a length hint only
        r.u64()
        break
      case 0x2e: {
        // STOP
        const result = pop()
        if (stack.length > 0 || marks.length > 0) r.fail(`the pickle is damaged: values are left over at its STOP (byte ${at})`)
        return result
      }
      case 0x28: // MARK
        marks.push(stack.length)
        break
      case 0x30: // POP
        pop()
        break
      case 0x31: // POP_MARK
        popMark()
        break
      case 0x32: // DUP
        stack.push(top())
        break
      case 0x4e: // NONE
        stack.push(null)
        break
      case 0x88: // NEWTRUE
      case 0x89: // NEWFALSE
        stack.push(op === 0x88)
        break
      case 0x4a: // BININT
        stack.push(r.i32())
        break
      case 0x4b: // BININT1
        stack.push(r.u8())
        break
      case 0x4d: // BININT2
        stack.push(r.u16())
        break
      case 0x8a: // LONG1
        stack.push(littleSigned(r.take(r.u8())))
        break
      case 0x8b: {
        // LONG4: CIFAR has no integer this large; bounded so a crafted length cannot make a giant bigint.
        const n = r.i32()
        if (n < 0 || n > 8) r.fail(`an integer of ${n} bytes at byte ${at}; at most 8 are read`)
        stack.push(littleSigned(r.take(n)))
        break
      }
      case 0x49: {
        // INT (text): "00"/"01" are Python 2's False/True
        const t = r.line().trim()
        if (!/^[-+]?\d{1,16}$/.test(t)) r.fail(`a text integer "${t.slice(0, 20)}" at byte ${at}`)
        stack.push(t === '00' ? false : t === '01' ? true : Number(t))
        break
      }
      case 0x47: // BINFLOAT
        stack.push(r.f64be())
        break
      case 0x55: // SHORT_BINSTRING: a Python 2 str, kept as its bytes
        stack.push(r.take(r.u8()))
        break
      case 0x54: {
        // BINSTRING
        const n = r.i32()
        if (n < 0) r.fail(`a negative string length at byte ${at}`)
        stack.push(r.take(n))
        break
      }
      case 0x43: // SHORT_BINBYTES
        stack.push(r.take(r.u8()))
        break
      case 0x42: // BINBYTES
        stack.push(r.take(r.u32()))
        break
      case 0x8e: // BINBYTES8
      case 0x96: // BYTEARRAY8
        stack.push(r.take(r.u64()))
        break
      case 0x98: // READONLY_BUFFER: marks the buffer on top read-only; nothing to do here
        top()
        break
      case 0x8c: // SHORT_BINUNICODE
        stack.push(text(r.take(r.u8())))
        break
      case 0x58: // BINUNICODE
        stack.push(text(r.take(r.u32())))
        break
      case 0x8d: // BINUNICODE8
        stack.push(text(r.take(r.u64())))
        break
      case 0x29: // EMPTY_TUPLE
        stack.push(tuple([]))
        break
      case 0x74: // TUPLE
        stack.push(tuple(popMark()))
        break
      case 0x85: // TUPLE1
      case 0x86: // TUPLE2
      case 0x87: {
        // TUPLE3
        const items = Array.from({ length: op - 0x84 }, pop).reverse()
        stack.push(tuple(items))
        break
      }
      case 0x5d: // EMPTY_LIST
        stack.push([])
        break
      case 0x6c: // LIST
        stack.push(popMark())
        break
      case 0x61: {
        // APPEND
        const v = pop()
        listOnTop().push(v)
        break
      }
      case 0x65: {
        // APPENDS
        // One by one: spreading a long run of items as arguments would overflow the call stack.
        const items = popMark()
        const list = listOnTop()
        for (const item of items) list.push(item)
        break
      }
      case 0x7d: // EMPTY_DICT
        stack.push(new PyDict())
        break
      case 0x64: {
        // DICT
        const items = popMark()
        if (items.length % 2) r.fail(`the pickle is damaged: an odd number of keys and values at byte ${at}`)
        const d = new PyDict()
        for (let i = 0; i < items.length; i += 2) d.set(key(items[i]!), items[i + 1]!)
        stack.push(d)
        break
      }
      case 0x73: {
        // SETITEM
        const v = pop()
        const k = pop()
        dictOnTop().set(key(k), v)
        break
      }
      case 0x75: {
        // SETITEMS
        const items = popMark()
        if (items.length % 2) r.fail(`the pickle is damaged: an odd number of keys and values at byte ${at}`)
        const d = dictOnTop()
        for (let i = 0; i < items.length; i += 2) d.set(key(items[i]!), items[i + 1]!)
        break
      }
      case 0x71: // BINPUT
        memo.set(r.u8(), top())
        break
      case 0x72: // LONG_BINPUT
        memo.set(r.u32(), top())
        break
      case 0x70: {
        // PUT (text)
        const n = Number(r.line())
        if (!Number.isInteger(n)) r.fail(`a memo index that is not a number at byte ${at}`)
        memo.set(n, top())
        break
      }
      case 0x94: // MEMOIZE
        memo.set(memo.size, top())
        break
      case 0x68: // BINGET
        stack.push(get(r.u8()))
        break
      case 0x6a: // LONG_BINGET
        stack.push(get(r.u32()))
        break
      case 0x67: // GET (text)
        stack.push(get(Number(r.line())))
        break
      case 0x63: {
        // GLOBAL: checked against the allow-list before anything else happens
        const module = r.line()
        stack.push(global(module, r.line()))
        break
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop()
        const module = pop()
        if (typeof module !== 'string' || typeof name !== 'string')
          r.fail(`the pickle is damaged: a global named by non-strings at byte ${at}`)
        stack.push(global(module, name))
        break
      }
      case 0x52: {
        // REDUCE: only an allowed builder can be on the stack to be called
        const args = pop()
        const f = pop()
        if (!Array.isArray(args) || !Object.isFrozen(args)) r.fail(`the pickle is damaged: REDUCE at byte ${at} without an argument tuple`)
        if (typeof f !== 'object' || f === null || !('call' in f) || typeof f.call !== 'function')
          r.fail(`the pickle calls a ${pyTypeName(f)} at byte ${at}; only numpy arrays and plain values are read`)
        stack.push((f as PyCallable).call(args))
        break
      }
      case 0x62: {
        // BUILD: hands the state to an object an allowed builder made
        const state = pop()
        const obj = top()
        if (!(obj instanceof PyObject))
          r.fail(`the pickle sets the state of a ${pyTypeName(obj)} at byte ${at}; only numpy arrays and plain values are read`)
        obj.setState(state)
        break
      }
      default:
        r.fail(
          REFUSED[op]
            ? `the pickle uses opcode ${REFUSED[op]} at byte ${at}; only numpy arrays and plain values are read`
            : UNREAD[op]
              ? `the pickle uses opcode ${UNREAD[op]} at byte ${at}, which this reader does not read (CIFAR's batches do not use it)`
              : `byte ${at} holds 0x${op.toString(16).padStart(2, '0')}, which is not a pickle opcode this reader knows (the file is damaged or not a pickle)`
        )
    }
  }
}
