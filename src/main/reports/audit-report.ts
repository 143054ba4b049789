import pdfmake from 'pdfmake'
import { createHash } from 'node:crypto'
import { createRequire } from 'node:module'
import { mkdir, rename, writeFile } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { isAuditRun } from '@shared/run-filter'
import { keepHeadingsWithContent } from './blocks'
import { contentHash, reportManifest } from './manifest'
import { type ReportInput, readyForLayout } from './report-input'
import { definitionsSection, manifestSection, runsAppendix, specAppendix } from './sections/appendix'
import { coverPage } from './sections/cover'
import { modelsSection } from './sections/models'
import { privacySection } from './sections/privacy'
import { resultsSection } from './sections/results'
import { methodsSection, taskSection } from './sections/task'
import { tuningSection } from './sections/tuning'

/**
 * The audit report as a PDF, built in Node with pdfmake: the same code path for the app and the
 * headless command, with no browser. DejaVu is embedded, so any Unicode in names prints, and the
 * PDF renders the same anywhere.
 */

function fontFiles(): Record<string, string> {
  const dir = join(dirname(createRequire(__filename).resolve('dejavu-fonts-ttf/package.json')), 'ttf')
  return {
    normal: join(dir, 'DejaVuSans.ttf'),
    bold: join(dir, 'DejaVuSans-Bold.ttf'),
    italics: join(dir, 'DejaVuSans-Oblique.ttf'),
    bolditalics: join(dir, 'DejaVuSans-BoldOblique.ttf')
  }
}

const PAGE_SIZES = { A4: 'A4', Letter: 'LETTER' } as const

export function buildReportDefinition(input: ReportInput): Record<string, unknown> {
  const { task, runs } = input
  // The comparisons read the audit's own runs; reference models and extra retrains are the privacy evidence's.
  const compared = runs.filter(isAuditRun)
  const shortHash = contentHash(reportManifest(task, runs, input.splits)).slice(0, 16)
  return {
    pageSize: PAGE_SIZES[input.settings.pageSize],
    pageMargins: [40, 50, 40, 50],
    info: {
      title: `Unlearning audit: ${task.name}`,
      author: input.settings.auditorName || undefined,
      creator: `Unlearning Audit ${input.appVersion}`
    },
    defaultStyle: { font: 'DejaVu', fontSize: 9 },
    styles: {
      h1: { fontSize: 18, bold: true },
      h2: { fontSize: 13, bold: true },
      mono: { fontSize: 7 },
      small: { fontSize: 7, color: '#555' }
    },
    pageBreakBefore: keepHeadingsWithContent,
    footer: (page: number, pages: number) => ({
      text: `${task.name} · content hash ${shortHash}… · page ${page} of ${pages}`,
      alignment: 'center',
      style: 'small',
      margin: [40, 20, 40, 0]
    }),
    content: [
      ...coverPage(input),
      ...taskSection(input),
      ...modelsSection(input),
      ...methodsSection(compared, Boolean(input.tuning)),
      ...tuningSection(compared, task.spec.task.kind, input.tuning ?? null),
      ...resultsSection(compared, task.spec.task as Record<string, unknown>, input.dataset?.classNames),
      ...privacySection(runs, input.privacy ?? null),
      ...definitionsSection(),
      ...runsAppendix(runs),
      ...specAppendix(task.spec),
      ...manifestSection(input)
    ]
  }
}

export async function renderReportPdf(input: ReportInput): Promise<Buffer> {
  pdfmake.setFonts({ DejaVu: fontFiles() })
  // The report embeds only local fonts and inline SVG: no URL is ever fetched.
  pdfmake.setUrlAccessPolicy(() => false)
  const fonts = Object.values(fontFiles()).map((f) => resolve(f))
  pdfmake.setLocalAccessPolicy((p) => fonts.includes(resolve(p)))
  return pdfmake.createPdf(buildReportDefinition(await readyForLayout(input))).getBuffer()
}

/** Writes the PDF atomically (temp file, then rename). */
export async function writeReportPdf(input: ReportInput, file: string): Promise<{ path: string; sha256: string; bytes: number }> {
  const pdf = await renderReportPdf(input)
  await mkdir(dirname(file), { recursive: true })
  const tmp = `${file}.partial-${process.pid}`
  await writeFile(tmp, pdf)
  await rename(tmp, file)
  return { path: file, sha256: createHash('sha256').update(pdf).digest('hex'), bytes: pdf.length }
}
