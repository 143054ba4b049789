import { gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { encodeIdx, parseIdx } from '@main/engine/data/idx'

describe('IDX loader', () => {
  const data = Uint8Array.from({ length: 2 * 3 * 4 }, (_, i) => i * 7)

  it('reads dims and values, plain and gzipped', () => {
    const bytes = encodeIdx([2, 3, 4], data)
    for (const input of [bytes, new Uint8Array(gzipSync(bytes))]) {
      const parsed = parseIdx(input)
      expect(parsed.dims).toEqual([2, 3, 4])
      expect(Array.from(parsed.data)).toEqual(Array.from(data))
    }
  })

  it('refuses a bad magic number, another data type and a truncated body, naming the source', () => {
    const good = encodeIdx([2, 3, 4], data)
    const badMagic = good.slice()
    badMagic[0] = 1
    expect(() => parseIdx(badMagic, 'x.idx')).toThrow(/x\.idx: bad magic/)
    const floatType = good.slice()
    floatType[2] = 0x0d
    expect(() => parseIdx(floatType, 'y.idx')).toThrow(/y\.idx: data type 0xd/)
    expect(() => parseIdx(good.subarray(0, good.length - 3), 'z.idx')).toThrow(
      /z\.idx: the header announces 24 values but the file holds 21/
    )
    expect(() => parseIdx(new Uint8Array([0, 0]))).toThrow(/too short/)
  })
})
