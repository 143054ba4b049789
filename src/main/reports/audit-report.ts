import pdfmake from 'pdfmake'
import { createHash } from 'node:crypto'
import { createRequire } from 'node:module'
import { mkdir, rename, writeFile } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import type { DatasetSummary, RunRecord, TaskSummary } from '../../shared/api/contract'
import { contentHash, reportManifest } from './manifest'
import { COMPARED_METRICS, methodComparisonOption, summarizeByMethod } from '../../shared/charts/method-comparison'
import { METRIC_GROUPS } from '../../shared/metrics/groups'
import { costQualityOption } from '../../shared/charts/cost-quality'
import { bestMethods, LEADERBOARD_METRICS, type LeaderboardRow, leaderboardRows } from '../../shared/charts/leaderboard'
import { taskSpaceGrid, taskSpaceHeatmapOption, taskSpaceMethods } from '../../shared/charts/task-space'
import { redirectionOption } from '../../shared/charts/redirection'
import { resetLayersOption } from '../../shared/charts/reset-layers'
import type { ForgetTask } from '../../shared/task-spec'
import { renderChartSvg } from './svg-charts'
import { discoveryLinesOption } from '../../shared/charts/discovery-lines'
import { confusionOption, perClassBarsOption } from '../../shared/charts/per-class'
import { comparedMethods } from '../../shared/charts/run-task'
import { tradeOffOption } from '../../shared/charts/trade-off'
import { CORRUPTIONS } from '../../shared/task-spec'
import { scalarMetric } from '../../shared/metrics/definitions'

/**
 * The audit report as a PDF, built in Node with pdfmake: the same code path for the app and the
 * headless command, with no browser. DejaVu is embedded so any Unicode in names prints correctly.
 */

export interface ReportInput {
  task: TaskSummary
  runs: RunRecord[]
  splits: Array<{ cellKey?: string; seed: number; kind: string; count: number; sha256: string }>
  appVersion: string
  generatedAt: Date
  /** The task's dataset as the library knows it (class names, preprocessing of an import). */
  dataset: DatasetSummary | null
  /** The last audit log entry when the report was made. */
  logHead?: { seq: number; hash: string } | null
}

function fontFiles(): Record<string, string> {
  const dir = join(dirname(createRequire(__filename).resolve('dejavu-fonts-ttf/package.json')), 'ttf')
  return {
    normal: join(dir, 'DejaVuSans.ttf'),
    bold: join(dir, 'DejaVuSans-Bold.ttf'),
    italics: join(dir, 'DejaVuSans-Oblique.ttf'),
    bolditalics: join(dir, 'DejaVuSans-BoldOblique.ttf')
  }
}

const fmt = (v: number | null | undefined, digits = 3) => (v == null || !Number.isFinite(v) ? '—' : v.toFixed(digits))

/** How an imported dataset was brought to the model's input: size, colour, scaling, skipped files. */
function describePreprocessing(d: DatasetSummary): string {
  const p = d.preprocessing as { size?: number[]; color?: string; scaling?: { kind: string; mean?: number[]; std?: number[] }; valueScale?: string | null }
  const scaling = p.scaling?.kind === 'standardize' ? `standardised with mean ${p.scaling.mean?.map((v) => v.toFixed(3)).join('/')} and std ${p.scaling.std?.map((v) => v.toFixed(3)).join('/')}` : 'scaled to [0, 1]'
  const skipped = d.skipped.length ? `; ${d.skipped.length} source files skipped as unreadable` : ''
  return `imported "${d.name}": resized to ${p.size?.join('×')}, ${p.color}, ${scaling}${p.valueScale ? `; ${p.valueScale}` : ''}${skipped}`
}

function describeTask(spec: Record<string, unknown>, classNames: string[]): string {
  const task = spec.task as ForgetTask
  const name = (c: number) => `${c} (${classNames[c] ?? '?'})`
  if (task.kind === 'class') return `Forget every training sample of class ${task.classes.map(name).join(', ')}`
  if (task.kind === 'random') return `Forget a random ${(task.fraction * 100).toFixed(1)} % of the training samples${task.classes ? ` of class ${task.classes.map(name).join(', ')}` : ''}`
  const discovery = `discovery rate ${task.discoveryRate} (|D_f| = ${Math.max(1, Math.round(task.discoveryRate * task.corruptedCount))} of |D_c| = ${task.corruptedCount})`
  if (task.corruption === 'poison') {
    const t = task.trigger
    return `Poison (high regularity): ${task.corruptedCount} random training samples outside class ${name(t.targetClass)} get a ${t.size}×${t.size} trigger at the ${t.position} corner (value ${t.value ?? 'the dataset maximum'}) and the label ${name(t.targetClass)}; ${discovery}`
  }
  if (task.corruption === 'interclass-swap') {
    return `Inter-class label swap (medium regularity): the first ${Math.floor(task.corruptedCount / 2)} training samples of class ${name(task.swapClasses[0])} and of class ${name(task.swapClasses[1])} swap labels; ${discovery}`
  }
  return `Random label swap (low regularity): ${task.corruptedCount} random training samples each get a different label, drawn uniformly; ${discovery}`
}

/** For sweeps: the leaderboard (mean ± SEM over all cells and seeds) and the task-space heat-maps. */
function taskSpaceSection(runs: RunRecord[], baseTask: Record<string, unknown>) {
  if (!runs.some((r) => r.cell !== null)) return []
  const rows = leaderboardRows(runs)
  const best = bestMethods(rows)
  const columns = LEADERBOARD_METRICS.filter((m) => rows.some((r) => r.stats[m.key])).slice(0, 7)
  const cell = (r: LeaderboardRow, key: string) => {
    const st = r.stats[key]
    return { text: st ? `${st.mean.toFixed(3)} ± ${st.sem.toFixed(3)}` : '—', bold: best[key] === r.method, fontSize: 7 }
  }
  const grid = taskSpaceGrid(runs, baseTask, 'utilityTimesHealed')
  const maps = grid ? taskSpaceMethods(runs).map((m) => ({ svg: renderChartSvg(taskSpaceHeatmapOption(grid, m, 'Utility × Healed', { animation: false }), 420, 260), width: 250, margin: [0, 6, 0, 0] })) : []
  return [
    sectionHeader('Task space'),
    { text: 'Leaderboard: mean ± SEM over every cell and seed; original and retrain are references, the best other method per column is bold.', style: 'small', margin: [0, 0, 0, 4] },
    {
      table: {
        headerRows: 1,
        widths: [62, ...columns.map(() => '*')],
        body: [[{ text: 'Method', bold: true }, ...columns.map((m) => ({ text: m.label, bold: true, fontSize: 7 }))], ...rows.map((r) => [r.reference ? `${r.method} (ref.)` : r.method, ...columns.map((m) => cell(r, m.key))])]
      },
      layout: 'lightHorizontalLines'
    },
    ...(maps.length ? [{ text: 'Utility × Healed over regularity × discovery rate (mean ± SEM over seeds, one colour scale)', bold: true, margin: [0, 8, 0, 2] }, { columns: maps.slice(0, 2) }, ...chunk(maps.slice(2), 2).map((pair) => ({ columns: pair }))] : []),
    ...CORRUPTIONS.flatMap((c) => {
      const option = discoveryLinesOption(runs, baseTask, c, 'healedTrain', 'Healed (train)', { animation: false })
      return option ? [{ svg: renderChartSvg(option, 640, 320), width: 500, margin: [0, 10, 0, 0] }] : []
    })
  ]
}

/** The drill-down in numbers: per method, how the discovered and the undiscovered corrupted samples fare. */
function corruptedSamplesSection(runs: RunRecord[]) {
  const keys = ['healedDiscovered', 'followsCorruptedDiscovered', 'healedUndiscovered', 'followsCorruptedUndiscovered']
  const summary = summarizeByMethod(runs).filter((s) => s.seeds > 0 && keys.some((k) => typeof s.means[k] === 'number'))
  if (!summary.length) return []
  const pct = (v: number | null | undefined) => (typeof v === 'number' ? `${(100 * v).toFixed(1)} %` : '—')
  return [
    sectionHeader('Corrupted samples, discovered and undiscovered'),
    { text: 'Mean over runs. "Still corrupted" = predicted with the corrupted label trained on; "healed" = predicted with the clean label. The app shows each sample.', style: 'small', margin: [0, 0, 0, 4] },
    {
      table: {
        headerRows: 1,
        widths: [80, '*', '*', '*', '*'],
        body: [
          ['Method', 'Discovered: healed', 'Discovered: still corrupted', 'Undiscovered: healed', 'Undiscovered: still corrupted'].map((h) => ({ text: h, bold: true })),
          ...summary.map((s) => [s.method, ...keys.map((k) => pct(s.means[k]))])
        ]
      },
      layout: 'lightHorizontalLines'
    }
  ]
}

/** One run class by class (REM's first when there is one): per-class accuracy beside the references, and its confusion. */
function classByClassSection(runs: RunRecord[], classNames: string[] | undefined) {
  const method = comparedMethods(runs).find((m) => m !== 'retrain')
  const run = method ? runs.find((r) => r.method === method && r.status === 'done') : undefined
  if (!classNames || !run) return []
  const charts = [perClassBarsOption(run, runs, classNames, { animation: false }), confusionOption(run, classNames, { animation: false })].filter((o) => o !== null)
  if (!charts.length) return []
  return [
    sectionHeader('Class by class'),
    { text: `${run.method}, seed ${run.seed}${run.cellKey ? `, ${run.cellKey}` : ''}; the app shows any other run the same way.`, style: 'small', margin: [0, 0, 0, 4] },
    ...charts.map((o) => ({ svg: renderChartSvg(o, 640, 380), width: 460, margin: [0, 8, 0, 0] }))
  ]
}

function chunk<T>(items: T[], size: number): T[][] {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}

function groupTables(runs: RunRecord[]) {
  const summary = summarizeByMethod(runs).filter((m) => m.seeds > 0)
  return METRIC_GROUPS.flatMap((g) => {
    const metrics = g.metrics.filter((m) => summary.some((s) => typeof s.means[m.key] === 'number'))
    if (!metrics.length) return []
    return [
      { text: `${g.label} (mean over seeds)`, bold: true, margin: [0, 8, 0, 2] },
      {
        table: {
          headerRows: 1,
          widths: [70, ...metrics.map(() => '*')],
          body: [
            [{ text: 'Method', bold: true }, ...metrics.map((m) => ({ text: m.label, bold: true }))],
            ...summary.map((s) => [s.method, ...metrics.map((m) => fmt(s.means[m.key]))])
          ]
        },
        layout: 'lightHorizontalLines'
      }
    ]
  })
}

const settingsText = (params: Record<string, unknown>) =>
  Object.entries(params)
    .map(([k, v]) => `${k}: ${JSON.stringify(v)}`)
    .join(', ') || '(none)'

const sectionHeader = (text: string) => ({ text, style: 'h2', margin: [0, 14, 0, 6] })

function keyValueTable(rows: Array<[string, string]>) {
  return {
    table: { widths: [140, '*'], body: rows.map(([k, v]) => [{ text: k, bold: true }, { text: v, style: 'mono' }]) },
    layout: 'lightHorizontalLines'
  }
}

export function buildReportDefinition(input: ReportInput): Record<string, unknown> {
  const { task, runs } = input
  const spec = task.spec
  const backends = [...new Set(runs.map((r) => r.backend).filter(Boolean))].join(', ') || 'none recorded'
  const originals = runs.filter((r) => r.method === 'original')
  const methodRows = [...new Map(runs.map((r) => [`${r.method}:${JSON.stringify(r.params)}`, r])).values()]
  const metricsHeader = ['Method', 'Seed', 'Status', ...COMPARED_METRICS.map((m) => m.label), 'Seconds', 'Steps']
  const chartSvg = renderChartSvg(methodComparisonOption(runs, { animation: false }))
  const costQuality = costQualityOption(runs, { animation: false })
  const tradeOff = tradeOffOption(runs, { animation: false })
  return {
    pageSize: 'A4',
    pageMargins: [40, 50, 40, 50],
    info: { title: `Unlearning audit: ${task.name}`, creator: `Unlearning Audit ${input.appVersion}` },
    defaultStyle: { font: 'DejaVu', fontSize: 9 },
    styles: { h1: { fontSize: 18, bold: true }, h2: { fontSize: 13, bold: true }, mono: { fontSize: 8 }, small: { fontSize: 7, color: '#555' } },
    footer: (page: number, pages: number) => ({ text: `${task.name} · page ${page} of ${pages}`, alignment: 'center', style: 'small', margin: [0, 20, 0, 0] }),
    content: [
      { text: 'Unlearning audit report', style: 'h1' },
      { text: task.name, fontSize: 13, margin: [0, 4, 0, 2] },
      { text: `Generated ${input.generatedAt.toISOString()} by Unlearning Audit ${input.appVersion}; backend: ${backends}`, style: 'small' },
      sectionHeader('Task'),
      keyValueTable([
        ['Task id', task.id],
        ['Spec sha256', task.specSha256],
        ['Dataset', `${task.datasetId} (train limit ${String((spec.dataset as Record<string, unknown>).trainLimit ?? 'all')}, test limit ${String((spec.dataset as Record<string, unknown>).testLimit ?? 'all')})`],
        ['Dataset sha256', task.datasetSha256],
        ...(input.dataset?.preprocessing ? [['Dataset preprocessing', describePreprocessing(input.dataset)] as [string, string]] : []),
        ...((spec.model as { sha256?: string }).sha256
          ? [['Original model', `given (imported), sha256 ${(spec.model as { sha256: string }).sha256}; measured, not trained`] as [string, string]]
          : [['Architecture', String((spec.model as { arch?: string }).arch)] as [string, string]]),
        ['Forget definition', describeTask(spec, input.dataset?.classNames ?? [])],
        ['Seeds', (spec.seeds as number[]).join(', ')],
        ...originals.map((r): [string, string] => [`Sizes, seed ${r.seed}`, r.forgetCount == null ? 'not created' : `forget ${r.forgetCount}, retain ${r.retainCount}, test ${String((spec.dataset as Record<string, unknown>).testLimit ?? 'all')}`]),
        ...input.splits.map((sp): [string, string] => [`${sp.kind === 'forget' ? 'Forget set D_f' : 'Corrupted set D_c'}, seed ${sp.seed}${sp.cellKey ? `, ${sp.cellKey}` : ''}`, `${sp.count} indices; sha256 ${sp.sha256}`])
      ]),
      sectionHeader('Methods and settings'),
      {
        table: {
          headerRows: 1,
          widths: [90, '*'],
          body: [
            [{ text: 'Method', bold: true }, { text: 'Settings (all, defaults included)', bold: true }],
            ...methodRows.map((r) => [r.method, { text: settingsText(r.params), style: 'mono' }])
          ]
        },
        layout: 'lightHorizontalLines'
      },
      sectionHeader('Results'),
      {
        table: {
          headerRows: 1,
          widths: [62, 26, 48, '*', '*', '*', 44, 32],
          body: [
            metricsHeader.map((h) => ({ text: h, bold: true })),
            ...runs.map((r) => [r.method, String(r.seed), r.status, ...COMPARED_METRICS.map((m) => fmt(scalarMetric(r.metrics, m.key))), fmt(scalarMetric(r.metrics, 'seconds'), 1), r.steps == null ? '—' : String(r.steps)])
          ]
        },
        layout: 'lightHorizontalLines'
      },
      { svg: chartSvg, width: 500, margin: [0, 12, 0, 0] },
      ...(costQuality ? [{ svg: renderChartSvg(costQuality), width: 500, margin: [0, 12, 0, 0] }] : []),
      ...(tradeOff ? [{ svg: renderChartSvg(tradeOff), width: 500, margin: [0, 12, 0, 0] }] : []),
      ...groupTables(runs),
      ...taskSpaceSection(runs, spec.task as Record<string, unknown>),
      ...corruptedSamplesSection(runs),
      ...classByClassSection(runs, input.dataset?.classNames),
      ...runs.flatMap((r) => {
        if (r.status !== 'done') return []
        const options = [r.method === 'rem' ? redirectionOption(r, { animation: false }) : null, resetLayersOption(r, { animation: false })]
        return options.filter((o) => o !== null).map((o) => ({ svg: renderChartSvg(o), width: 500, margin: [0, 12, 0, 0] }))
      }),
      sectionHeader('Models'),
      {
        table: {
          headerRows: 1,
          widths: [70, 32, '*'],
          body: [
            ['Method', 'Seed', 'Output model sha256'].map((h) => ({ text: h, bold: true })),
            ...runs.map((r) => [r.method, String(r.seed), { text: r.outputModelSha256 ?? '—', style: 'mono' }])
          ]
        },
        layout: 'lightHorizontalLines'
      },
      sectionHeader('Metric definitions'),
      { ul: METRIC_GROUPS.flatMap((g) => g.metrics.map((m) => `${m.key} (${m.label}): ${m.definition}`)) },
      sectionHeader('Run log'),
      {
        table: {
          headerRows: 1,
          widths: [70, 32, 55, '*'],
          body: [
            ['Method', 'Seed', 'Status', 'Error'].map((h) => ({ text: h, bold: true })),
            ...runs.map((r) => [r.method, String(r.seed), r.status, r.error ?? ''])
          ]
        },
        layout: 'lightHorizontalLines'
      },
      { text: 'Appendix: task spec', style: 'h2', pageBreak: 'before', margin: [0, 0, 0, 6] },
      { text: JSON.stringify(spec, null, 2), style: 'mono', preserveLeadingSpaces: true },
      ...manifestSection(input)
    ]
  }
}

/** The hashes the numbers rest on, the content hash over them, and how a second auditor checks them. */
function manifestSection(input: ReportInput) {
  const manifest = reportManifest(input.task, input.runs, input.splits)
  return [
    { text: 'Manifest', style: 'h2', pageBreak: 'before', margin: [0, 0, 0, 6] },
    keyValueTable([
      ['Content hash', contentHash(manifest)],
      ['Audit log head', input.logHead ? `entry ${input.logHead.seq}, sha256 ${input.logHead.hash}` : 'no log entries'],
      ['Spec sha256', manifest.specSha256],
      ['Dataset sha256', manifest.datasetSha256],
      ...manifest.splits.map((sp): [string, string] => [`${sp.kind} set, seed ${sp.seed}${sp.cellKey ? `, ${sp.cellKey}` : ''}`, sp.sha256])
    ]),
    {
      table: {
        headerRows: 1,
        widths: [62, 26, 48, '*'],
        body: [
          ['Method', 'Seed', 'Status', 'Run id · output model sha256 · metrics sha256'].map((h) => ({ text: h, bold: true })),
          ...manifest.runs.map((r) => [r.method, String(r.seed), r.status, { text: `${r.id}\n${r.outputModelSha256 ?? '—'}\n${r.metricsSha256}`, style: 'mono' }])
        ]
      },
      layout: 'lightHorizontalLines',
      margin: [0, 8, 0, 0]
    },
    {
      text:
        'To verify: with the audit database and data folder this report came from, run `npm run audit -- verify <audit.db>`. ' +
        'It recomputes the audit log chain, every finished run\'s metrics hash against the one logged when it finished, and the files of every model and imported dataset, and prints this audit\'s content hash. ' +
        'The content hash above is the sha256 of the canonical JSON of this manifest (spec, dataset, index lists, and each run\'s model and metrics hashes); equal hashes mean the numbers in this report are the ones in the store.',
      style: 'small',
      margin: [0, 10, 0, 0]
    }
  ]
}

export async function renderReportPdf(input: ReportInput): Promise<Buffer> {
  pdfmake.setFonts({ DejaVu: fontFiles() })
  // The report embeds only local fonts and inline SVG: no URL is ever fetched.
  pdfmake.setUrlAccessPolicy(() => false)
  const fonts = Object.values(fontFiles()).map((f) => resolve(f))
  pdfmake.setLocalAccessPolicy((p) => fonts.includes(resolve(p)))
  return pdfmake.createPdf(buildReportDefinition(input)).getBuffer()
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
