import { isAbsolute } from 'node:path'
import { ImportError } from '../model-bundle'
import { int64ToNumber, OnnxDataLocation, OnnxDataType, type OnnxTensor } from './onnx-proto'

/** A constant of the graph (an initializer or a Constant node's value): its shape and values, floats or integers. */
export type ConstTensor = { dims: number[]; kind: 'float'; values: Float32Array } | { dims: number[]; kind: 'int'; values: number[] }

const sizeOf = (dims: number[]) => dims.reduce((a, b) => a * b, 1)

/** Where external data points, and whether that leaves the folder of the .onnx file. */
function externalDataRefusal(tensor: OnnxTensor, where: string): ImportError {
  const location = tensor.externalData?.find((e) => e.key === 'location')?.value ?? ''
  const unified = location.replace(/\\/g, '/')
  const escapes = isAbsolute(location) || /^[a-zA-Z]:/.test(unified) || unified.split('/').includes('..')
  if (escapes) return new ImportError(`${where} keeps its values in "${location}", outside the model's folder; such a reference is refused`)
  return new ImportError(
    `${where} keeps its values in an external file${location ? ` ("${location}")` : ''}; only self-contained .onnx files can be imported: save the model with its weights inside (onnx.save_model(model, path, save_as_external_data=False))`
  )
}

function floatsFromRaw(raw: Uint8Array, dataType: number, count: number, where: string): Float32Array {
  const width = dataType === OnnxDataType.DOUBLE ? 8 : dataType === OnnxDataType.FLOAT16 ? 2 : 4
  if (raw.length !== count * width) throw new ImportError(`${where} holds ${raw.length} bytes, but its shape needs ${count * width}`)
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength)
  const out = new Float32Array(count)
  for (let i = 0; i < count; i++) {
    if (width === 4) out[i] = view.getFloat32(4 * i, true)
    else if (width === 8) out[i] = view.getFloat64(8 * i, true)
    else out[i] = halfToFloat(view.getUint16(2 * i, true))
  }
  return out
}

/** IEEE 754 half precision to a double: sign, 5 exponent bits, 10 fraction bits. */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1
  const exponent = (h >> 10) & 0x1f
  const fraction = h & 0x3ff
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024)
  if (exponent === 31) return fraction ? NaN : sign * Infinity
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024)
}

function intsFromRaw(raw: Uint8Array, dataType: number, count: number, where: string): number[] {
  const width = dataType === OnnxDataType.INT64 ? 8 : 4
  if (raw.length !== count * width) throw new ImportError(`${where} holds ${raw.length} bytes, but its shape needs ${count * width}`)
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength)
  return Array.from({ length: count }, (_, i) =>
    width === 8 ? int64ToNumber(view.getBigInt64(8 * i, true).toString(), where) : view.getInt32(4 * i, true)
  )
}

const FLOAT_TYPES: number[] = [OnnxDataType.FLOAT, OnnxDataType.FLOAT16, OnnxDataType.DOUBLE]
const INT_TYPES: number[] = [OnnxDataType.INT64, OnnxDataType.INT32]

/** A tensor's values as the mapping uses them; `where` names it in errors ("initializer "conv1.weight""). */
export function readTensor(tensor: OnnxTensor, where: string): ConstTensor {
  if (tensor.dataLocation === OnnxDataLocation.EXTERNAL || (tensor.externalData?.length ?? 0) > 0) throw externalDataRefusal(tensor, where)
  const dims = (tensor.dims ?? []).map((d) => int64ToNumber(d, `${where}: a dimension`))
  if (dims.some((d) => d < 0)) throw new ImportError(`${where} has a negative dimension in [${dims.join(', ')}]`)
  const count = sizeOf(dims)
  const dataType = tensor.dataType ?? 0
  const raw = tensor.rawData && tensor.rawData.length > 0 ? tensor.rawData : null
  if (FLOAT_TYPES.includes(dataType)) {
    let values: Float32Array
    if (raw) values = floatsFromRaw(raw, dataType, count, where)
    else if (dataType === OnnxDataType.DOUBLE) values = Float32Array.from(tensor.doubleData ?? [])
    // FLOAT16 values not in raw_data sit in int32_data, one half per entry.
    else if (dataType === OnnxDataType.FLOAT16) values = Float32Array.from(tensor.int32Data ?? [], halfToFloat)
    else values = Float32Array.from(tensor.floatData ?? [])
    if (values.length !== count)
      throw new ImportError(`${where} holds ${values.length} values, but its shape [${dims.join(', ')}] needs ${count}`)
    return { dims, kind: 'float', values }
  }
  if (INT_TYPES.includes(dataType)) {
    const values = raw
      ? intsFromRaw(raw, dataType, count, where)
      : dataType === OnnxDataType.INT64
        ? (tensor.int64Data ?? []).map((v) => int64ToNumber(v, where))
        : [...(tensor.int32Data ?? [])]
    if (values.length !== count)
      throw new ImportError(`${where} holds ${values.length} values, but its shape [${dims.join(', ')}] needs ${count}`)
    return { dims, kind: 'int', values }
  }
  const typeName = OnnxDataType[dataType] ?? `type ${dataType}`
  throw new ImportError(`${where} has element type ${typeName}; only float (32, 16 or 64 bit) and int32/int64 constants are supported`)
}

/** The tensor's values as floats (an integer constant where floats are expected is converted). */
export function floatsOf(t: ConstTensor): Float32Array {
  return t.kind === 'float' ? t.values : Float32Array.from(t.values)
}

/** The tensor's values as integers; refuses float values (a shape must be given as integers). */
export function intsOf(t: ConstTensor, where: string): number[] {
  if (t.kind !== 'int') throw new ImportError(`${where} must hold integers, but holds floats`)
  return t.values
}
