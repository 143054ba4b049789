import { writeVerdict } from '@shared/verdict'
import type { Block } from '../blocks'
import type { ReportInput } from '../report-input'

/** Which shard of a merged audit a run came from: the shard whose groups hold its cell and seed. */
function shardOfRun(input: ReportInput, runId: string): number | null {
  const run = input.runs.find((r) => r.id === runId)
  const shards = input.task.origin?.shards ?? []
  return shards.find((s) => s.groups.some((g) => g.cellKey === run?.cellKey && g.seed === run?.seed))?.index ?? null
}

/** Page one: who audited what, when, on which machine and backend, the verdict, and the contents. */
export function coverPage(input: ReportInput): Block[] {
  const { task, runs, settings } = input
  const backends = [...new Set(runs.map((r) => r.backend).filter(Boolean))].join(', ') || 'none recorded'
  // Why a faster backend did not run, once per distinct reason: a reader judging the run times needs it.
  const skipped = [...new Set(runs.flatMap((r) => r.backendSkipped))]
  const auditor = [settings.auditorName, settings.organisation].filter(Boolean).join(', ') || 'not set (Settings → auditor)'
  const shards = task.origin?.shards
  const origin = shards
    ? `Merged from ${shards.length} shards of one plan, each bundle's hashes checked: ${shards
        .map((s) => {
          const backend = [
            ...new Set(
              runs
                .filter((r) => shardOfRun(input, r.id) === s.index)
                .map((r) => r.backend)
                .filter(Boolean)
            )
          ].join(', ')
          return `shard ${s.index} ran on ${s.machine ?? 'an unrecorded machine'}${backend ? ` (${backend})` : ''}, bundle sha256 ${s.bundleSha256}`
        })
        .join('; ')}.`
    : task.origin
      ? `Imported from a bundle made by Unlearning Audit ${task.origin.appVersion} (bundle sha256 ${task.origin.bundleSha256}); its runs were made on that copy's machine.`
      : null
  const rows: Array<[string, string]> = [
    ['Auditor', auditor],
    [
      'Date',
      input.generatedAt
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, ' UTC')
    ],
    ['App', `Unlearning Audit ${input.appVersion}`],
    ['Backend', backends],
    ...(skipped.length ? ([['Skipped', skipped.join('\n')]] as Array<[string, string]>) : []),
    ['Device', input.machine],
    ['Runs', summariseStatuses(runs)]
  ]
  return [
    { text: 'Unlearning audit report', style: 'h1' },
    { text: task.name, fontSize: 14, margin: [0, 4, 0, 10] },
    {
      table: { widths: [70, '*'], body: rows.map(([k, v]) => [{ text: k, bold: true }, v]) },
      layout: 'noBorders'
    },
    ...(origin ? [{ text: origin, style: 'small', margin: [0, 4, 0, 0] }] : []),
    {
      table: {
        widths: ['*'],
        body: [
          [
            {
              stack: [
                { text: 'Verdict', bold: true, margin: [0, 0, 0, 3] },
                { text: writeVerdict(runs, task.spec.task as Record<string, unknown>) }
              ],
              margin: [6, 6, 6, 6]
            }
          ]
        ]
      },
      layout: { hLineColor: '#888', vLineColor: '#888', fillColor: '#f4f6fa' },
      margin: [0, 14, 0, 0]
    },
    { text: 'Signature: ____________________________    Date: ______________', margin: [0, 18, 0, 0] },
    { toc: { title: { text: 'Contents', style: 'h2', margin: [0, 18, 0, 6] }, outlines: true }, pageBreak: 'after' }
  ]
}

function summariseStatuses(runs: ReportInput['runs']): string {
  const counts = new Map<string, number>()
  for (const r of runs) counts.set(r.status, (counts.get(r.status) ?? 0) + 1)
  return [...counts].map(([status, n]) => `${n} ${status}`).join(', ') || 'none'
}
