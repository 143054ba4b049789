import type { RunRecord } from '@shared/api/contract'
import { cellText } from '@shared/charts/run-task'
/**
 * Small pdfmake building blocks shared by the report's sections. Every table repeats its header
 * row on each page and keeps a row on one page, so a long table breaks cleanly.
 */

export type Block = Record<string, unknown>

export const fmt = (v: number | null | undefined, digits = 3): string => (v == null || !Number.isFinite(v) ? '—' : v.toFixed(digits))

/** A numbered section heading that lands in the table of contents and the PDF's bookmarks. */
export const sectionHeader = (text: string, opts: { pageBreak?: boolean } = {}): Block => ({
  text,
  style: 'h2',
  tocItem: true,
  headlineLevel: 1,
  margin: [0, opts.pageBreak ? 0 : 14, 0, 6],
  ...(opts.pageBreak ? { pageBreak: 'before' } : {})
})

export const subHeader = (text: string): Block => ({ text, bold: true, headlineLevel: 2, margin: [0, 8, 0, 2] })

export const note = (text: string): Block => ({ text, style: 'small', margin: [0, 0, 0, 4] })

export function table(header: string[], rows: unknown[][], widths: Array<number | string>, extra: Block = {}): Block {
  return {
    table: { headerRows: 1, dontBreakRows: true, widths, body: [header.map((h) => ({ text: h, bold: true })), ...rows] },
    layout: 'lightHorizontalLines',
    ...extra
  }
}

export function keyValueTable(rows: Array<[string, string]>): Block {
  return {
    table: {
      widths: [140, '*'],
      dontBreakRows: true,
      body: rows.map(([k, v]) => [
        { text: k, bold: true },
        { text: v, style: 'mono' }
      ])
    },
    layout: 'lightHorizontalLines'
  }
}

export const mono = (text: string): Block => ({ text, style: 'mono' })

export function chunk<T>(items: T[], size: number): T[][] {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}

/** A sweep cell for a table, as the app writes it. */
export const cellLabel = cellText

/** A run's name in a list of every run: the privacy evidence's models carry their number (reference model k, extra retrain r of the band). */
export function runName(run: Pick<RunRecord, 'method' | 'replica'>): string {
  if (run.replica === null) return run.method
  return run.method === 'reference' ? `reference #${run.replica}` : `${run.method} #${run.replica} (band)`
}

/** JSON on one line with a space after each comma and colon, so a table cell can wrap it. */
export const wrappableJson = (value: unknown): string => JSON.stringify(value, null, 1).replace(/\n\s*/g, ' ')

interface NodeInfo {
  headlineLevel?: number
  style?: unknown
}

/**
 * pdfmake's pageBreakBefore: a heading that would end its page, with only notes after it, moves
 * to the next page with what it heads. Each break costs a relayout, so only headings are checked.
 */
export function keepHeadingsWithContent(node: NodeInfo, nodes: { getFollowingNodesOnPage: () => NodeInfo[] }): boolean {
  if (!node.headlineLevel) return false
  return nodes.getFollowingNodesOnPage().every((n) => n.headlineLevel || n.style === 'small')
}
