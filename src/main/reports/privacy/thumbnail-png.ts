import { PNG } from 'pngjs'

/**
 * A sample's pixels (0-255, row-major, grey or RGB as the dataset has them) as a PNG data URL, which
 * pdfmake embeds without fetching anything.
 */
export function thumbnailDataUrl(pixels: readonly number[], inputShape: readonly number[]): string {
  const [height = 0, width = 0, channels = 1] = inputShape
  const png = new PNG({ width, height })
  for (let p = 0; p < width * height; p++) {
    const at = p * channels
    const [r, g, b] = channels >= 3 ? [pixels[at]!, pixels[at + 1]!, pixels[at + 2]!] : [pixels[at]!, pixels[at]!, pixels[at]!]
    png.data[4 * p] = r
    png.data[4 * p + 1] = g
    png.data[4 * p + 2] = b
    png.data[4 * p + 3] = 255
  }
  return `data:image/png;base64,${PNG.sync.write(png).toString('base64')}`
}
