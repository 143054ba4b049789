import { readFileSync } from 'node:fs'
import { getDocument, OPS, type PDFDocumentProxy, type PDFPageProxy } from 'pdfjs-dist/legacy/build/pdf.mjs'
import type { TextItem } from 'pdfjs-dist/types/src/display/api'
import { createCanvas } from '@napi-rs/canvas'

type RenderCanvas = Parameters<PDFPageProxy['render']>[0]['canvas']

/**
 * What the report tests read from a PDF, through pdf.js (and @napi-rs/canvas for rendering), so that
 * `npm test` needs nothing outside npm.
 */
export interface PdfPage {
  /** Page size in points. */
  width: number
  height: number
  /** The page's text as lines, top to bottom, pieces of a line left to right. */
  lines: string[]
  /** The right edge, in points, of the text that reaches furthest right. */
  textRight: number
}

export interface PdfFont {
  name: string
  /** The font program is inside the PDF (no substitution by the reader). */
  embedded: boolean
  /** Only the glyphs used are embedded (a six-letter tag before the name). */
  subset: boolean
}

export interface PdfFacts {
  pages: PdfPage[]
  /** Every page's lines, joined by newlines. */
  text: string
  /** Every font any page uses, once each. */
  fonts: PdfFont[]
}

/** Opens the PDF, hands it to `read`, and frees pdf.js's worker and memory whatever happens. */
async function withPdf<T>(file: string, read: (doc: PDFDocumentProxy) => Promise<T>): Promise<T> {
  // fontExtraProperties keeps each font's name on the main thread, for the subset check.
  const task = getDocument({ data: new Uint8Array(readFileSync(file)), fontExtraProperties: true, verbosity: 0 })
  try {
    return await read(await task.promise)
  } finally {
    await task.destroy()
  }
}

/** Pieces on baselines closer than this share of the font size are one line. */
const SAME_LINE = 0.3
/** A gap wider than this share of the font size between two pieces is a space. */
const WORD_GAP = 0.15

function textLines(items: TextItem[]): { lines: string[]; textRight: number } {
  const pieces = items
    .filter((i) => i.str.trim() !== '')
    .map((i) => ({
      text: i.str,
      x: i.transform[4] as number,
      y: i.transform[5] as number,
      size: Math.hypot(i.transform[2] as number, i.transform[3] as number),
      width: i.width
    }))
    .sort((a, b) => b.y - a.y || a.x - b.x)
  const rows: Array<typeof pieces> = []
  for (const piece of pieces) {
    const row = rows.at(-1)
    if (row && Math.abs(row[0]!.y - piece.y) <= SAME_LINE * Math.min(row[0]!.size, piece.size)) row.push(piece)
    else rows.push([piece])
  }
  const lines = rows.map((row) => {
    row.sort((a, b) => a.x - b.x)
    let line = row[0]!.text
    for (let k = 1; k < row.length; k++) {
      const gap = row[k]!.x - (row[k - 1]!.x + row[k - 1]!.width)
      line += (gap > WORD_GAP * row[k]!.size ? ' ' : '') + row[k]!.text
    }
    return line
  })
  return { lines, textRight: Math.max(0, ...pieces.map((p) => p.x + p.width)) }
}

async function pageFonts(page: PDFPageProxy): Promise<PdfFont[]> {
  const ops = await page.getOperatorList()
  const ids = new Set<string>()
  ops.fnArray.forEach((fn, k) => fn === OPS.setFont && ids.add(ops.argsArray[k][0] as string))
  return [...ids].map((id) => {
    const font = page.commonObjs.get(id) as { name?: string; missingFile?: boolean }
    const name = font.name ?? id
    return { name, embedded: font.missingFile === false, subset: /^[A-Z]{6}\+/.test(name) }
  })
}

/** Text, page sizes and fonts of a PDF. */
export function readPdf(file: string): Promise<PdfFacts> {
  return withPdf(file, async (doc) => {
    const pages: PdfPage[] = []
    const fonts = new Map<string, PdfFont>()
    for (let n = 1; n <= doc.numPages; n++) {
      const page = await doc.getPage(n)
      const [x0, y0, x1, y1] = page.view as [number, number, number, number]
      const content = await page.getTextContent()
      pages.push({ width: x1 - x0, height: y1 - y0, ...textLines(content.items.filter((i): i is TextItem => 'str' in i)) })
      for (const font of await pageFonts(page)) fonts.set(font.name, font)
      page.cleanup()
    }
    return { pages, text: pages.map((p) => p.lines.join('\n')).join('\n'), fonts: [...fonts.values()] }
  })
}

/** The PDF's text, lines joined by newlines. */
export async function pdfText(file: string): Promise<string> {
  return (await readPdf(file)).text
}

/**
 * Each page rendered in grey at `dpi`, as the share of dark pixels (below 160 of 255) above the
 * footer band (the bottom 8 %), so a page holding only its footer counts as empty.
 */
export function pageInk(file: string, dpi = 30): Promise<number[]> {
  return withPdf(file, async (doc) => {
    const ink: number[] = []
    for (let n = 1; n <= doc.numPages; n++) {
      const page = await doc.getPage(n)
      const viewport = page.getViewport({ scale: dpi / 72 })
      const canvas = createCanvas(Math.ceil(viewport.width), Math.ceil(viewport.height))
      const context = canvas.getContext('2d')
      await page.render({ canvas: canvas as unknown as RenderCanvas, viewport, background: '#ffffff' }).promise
      const body = Math.floor(canvas.height * 0.92)
      const { data } = context.getImageData(0, 0, canvas.width, body)
      let dark = 0
      for (let i = 0; i < data.length; i += 4) {
        const grey = 0.299 * data[i]! + 0.587 * data[i + 1]! + 0.114 * data[i + 2]!
        if (grey < 160) dark++
      }
      ink.push(dark / (canvas.width * body))
      page.cleanup()
    }
    return ink
  })
}
