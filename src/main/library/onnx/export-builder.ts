import onnxProto from 'onnx-proto'

// onnx-proto is CommonJS that assigns module.exports whole, so Node's ESM loader sees no named exports.
const { onnx } = onnxProto

export type NodeProto = InstanceType<typeof onnx.NodeProto>
export type TensorProto = InstanceType<typeof onnx.TensorProto>
export type AttributeValue = number | number[] | { float: number }

/**
 * Collects the nodes and initializers of an ONNX graph under names that never collide. Weights are
 * plain initializers with raw little-endian data, so the file is self-contained.
 */
export class OnnxGraphBuilder {
  readonly nodes: NodeProto[] = []
  readonly initializers: TensorProto[] = []
  private readonly used = new Set<string>()

  /** Takes `names` off the table for generated names (the graph's input and output names). */
  reserve(...names: string[]): void {
    for (const n of names) this.used.add(n)
  }

  /** `hint`, or `hint_2`, `hint_3`… if it is taken. */
  fresh(hint: string): string {
    let name = hint
    for (let i = 2; this.used.has(name); i++) name = `${hint}_${i}`
    this.used.add(name)
    return name
  }

  floats(hint: string, dims: number[], values: Float32Array): string {
    return this.tensor(hint, dims, onnx.TensorProto.DataType.FLOAT, new Uint8Array(values.buffer, values.byteOffset, values.byteLength))
  }

  int64s(hint: string, values: ArrayLike<number>): string {
    const data = BigInt64Array.from(Array.from(values), (v) => BigInt(v))
    return this.tensor(hint, [values.length], onnx.TensorProto.DataType.INT64, new Uint8Array(data.buffer))
  }

  /** Adds one node; returns the name of its output. Integers are INT(S) attributes, `{ float }` a FLOAT one. */
  op(type: string, inputs: string[], hint: string, attributes: Record<string, AttributeValue> = {}): string {
    const output = this.fresh(hint)
    this.nodes.push(
      onnx.NodeProto.create({
        opType: type,
        name: output,
        input: inputs,
        output: [output],
        attribute: Object.entries(attributes).map(attribute)
      })
    )
    return output
  }

  /** Gives a tensor another name everywhere it appears (to name the graph's output). */
  rename(from: string, to: string): void {
    for (const n of this.nodes) {
      n.input = n.input.map((i) => (i === from ? to : i))
      n.output = n.output.map((o) => (o === from ? to : o))
    }
  }

  private tensor(hint: string, dims: number[], dataType: number, bytes: Uint8Array): string {
    const name = this.fresh(hint)
    // rawData is little-endian by the spec, as typed arrays are on every platform Electron runs on.
    this.initializers.push(onnx.TensorProto.create({ name, dims, dataType, rawData: bytes.slice() }))
    return name
  }
}

function attribute([name, value]: [string, AttributeValue]) {
  const { AttributeType } = onnx.AttributeProto
  if (Array.isArray(value)) return onnx.AttributeProto.create({ name, type: AttributeType.INTS, ints: value })
  if (typeof value === 'number') return onnx.AttributeProto.create({ name, type: AttributeType.INT, i: value })
  return onnx.AttributeProto.create({ name, type: AttributeType.FLOAT, f: value.float })
}
