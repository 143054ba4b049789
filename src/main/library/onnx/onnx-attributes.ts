import { ImportError } from '../model-bundle'
import { int64ToNumber, onnx, type OnnxNode } from './onnx-proto'

const Type = onnx.AttributeProto.AttributeType

/** The attributes of one node, read with their defaults; a wrong attribute type is refused naming the node. */
export class NodeAttributes {
  private readonly byName: Map<string, onnx.IAttributeProto>

  constructor(
    node: OnnxNode,
    private readonly where: string
  ) {
    this.byName = new Map((node.attribute ?? []).map((a) => [a.name ?? '', a]))
  }

  has(name: string): boolean {
    return this.byName.has(name)
  }

  names(): string[] {
    return [...this.byName.keys()]
  }

  private get(name: string, type: onnx.AttributeProto.AttributeType): onnx.IAttributeProto | undefined {
    const a = this.byName.get(name)
    // Old exporters leave `type` unset; the field that holds a value says what it is then.
    if (a && a.type && a.type !== type)
      throw new ImportError(`${this.where}: attribute ${name} has type ${Type[a.type]}, expected ${Type[type]}`)
    return a
  }

  int(name: string, fallback: number): number {
    const a = this.get(name, Type.INT)
    return a ? int64ToNumber(a.i, `${this.where}: attribute ${name}`) : fallback
  }

  ints(name: string, fallback: number[] | null): number[] | null {
    const a = this.get(name, Type.INTS)
    return a ? (a.ints ?? []).map((v) => int64ToNumber(v, `${this.where}: attribute ${name}`)) : fallback
  }

  float(name: string, fallback: number): number {
    const a = this.get(name, Type.FLOAT)
    return a ? Number(a.f ?? 0) : fallback
  }

  floats(name: string): number[] | null {
    const a = this.get(name, Type.FLOATS)
    return a ? (a.floats ?? []).map(Number) : null
  }

  string(name: string, fallback: string): string {
    const a = this.get(name, Type.STRING)
    return a ? new TextDecoder().decode(a.s ?? new Uint8Array()) : fallback
  }

  tensor(name: string): onnx.ITensorProto | null {
    return this.get(name, Type.TENSOR)?.t ?? null
  }
}
