import jpeg from 'jpeg-js'
import { PNG } from 'pngjs'

/** A decoded image as RGBA bytes, row by row. */
export interface RgbaImage {
  width: number
  height: number
  data: Uint8Array
  /** Whether the file stores grey levels only, so "grey" can be the default colour mode. */
  grey: boolean
}

export type ColorMode = 'grey' | 'rgb'

// Decoders refuse anything bigger: a crafted header must not make them allocate gigabytes.
const MAX_PIXELS = 4096 * 4096

function isPng(b: Uint8Array): boolean {
  return b.length > 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47
}

function isJpeg(b: Uint8Array): boolean {
  return b.length > 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff
}

/** Grey by content, not by the file's colour type: many tools save grey images as RGB(A). */
function allGrey(rgba: Uint8Array): boolean {
  for (let i = 0; i < rgba.length; i += 4) if (rgba[i] !== rgba[i + 1] || rgba[i] !== rgba[i + 2]) return false
  return true
}

/** Decodes PNG or JPEG bytes, told apart by their signature rather than by the file name. */
export function decodeImage(bytes: Uint8Array): RgbaImage {
  if (isPng(bytes)) {
    const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength))
    if (png.width * png.height > MAX_PIXELS) throw new Error(`${png.width}×${png.height} pixels is larger than supported`)
    const data = new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength)
    return { width: png.width, height: png.height, data, grey: allGrey(data) }
  }
  if (isJpeg(bytes)) {
    const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: MAX_PIXELS / 1e6, maxMemoryUsageInMB: 256 })
    return { width: img.width, height: img.height, data: img.data, grey: allGrey(img.data) }
  }
  throw new Error('not a PNG or JPEG image')
}

/**
 * Resamples to height × width with bilinear interpolation at pixel centres, and converts to grey
 * (ITU-R BT.601 luma) or RGB. Alpha is ignored: the colour values are taken as they are stored.
 */
export function toPixels(img: RgbaImage, height: number, width: number, color: ColorMode): Uint8Array {
  const channels = color === 'grey' ? 1 : 3
  const out = new Uint8Array(height * width * channels)
  if (img.height === height && img.width === width) {
    // At scale 1 the bilinear samples fall on pixel centres: the same bytes, without the interpolation's cost.
    const d = img.data
    for (let p = 0; p < height * width; p++) {
      if (channels === 1) out[p] = Math.round(0.299 * d[p * 4]! + 0.587 * d[p * 4 + 1]! + 0.114 * d[p * 4 + 2]!)
      else for (let c = 0; c < 3; c++) out[p * 3 + c] = d[p * 4 + c]!
    }
    return out
  }
  const sy = img.height / height
  const sx = img.width / width
  const at = (x: number, y: number, c: number) => img.data[(y * img.width + x) * 4 + c]!
  for (let y = 0; y < height; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), img.height - 1)
    const y0 = Math.floor(fy)
    const y1 = Math.min(y0 + 1, img.height - 1)
    const wy = fy - y0
    for (let x = 0; x < width; x++) {
      const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), img.width - 1)
      const x0 = Math.floor(fx)
      const x1 = Math.min(x0 + 1, img.width - 1)
      const wx = fx - x0
      const sample = (c: number) =>
        (1 - wy) * ((1 - wx) * at(x0, y0, c) + wx * at(x1, y0, c)) + wy * ((1 - wx) * at(x0, y1, c) + wx * at(x1, y1, c))
      const o = (y * width + x) * channels
      if (channels === 1) out[o] = Math.round(0.299 * sample(0) + 0.587 * sample(1) + 0.114 * sample(2))
      else for (let c = 0; c < 3; c++) out[o + c] = Math.round(sample(c))
    }
  }
  return out
}
