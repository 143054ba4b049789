import type { RunRecord } from '@shared/api/contract'
import { scalarMetric } from '@shared/metrics/definitions'
import { METRIC_GROUPS } from '@shared/metrics/groups'
import { VERDICT_RULES } from '@shared/verdict'
import { type Block, cellLabel, fmt, keyValueTable, mono, runName, sectionHeader, table } from '../blocks'
import { contentHash, reportManifest } from '../manifest'
import type { ReportInput } from '../report-input'

export function definitionsSection(): Block[] {
  return [
    sectionHeader('Metric definitions'),
    { ul: METRIC_GROUPS.flatMap((g) => g.metrics.map((m) => ({ text: [{ text: `${m.label} (${m.key}): `, bold: true }, m.definition] }))) },
    { text: 'How the verdict is worded', bold: true, margin: [0, 8, 0, 2] },
    { ul: VERDICT_RULES }
  ]
}

/** Every run, failed and cancelled ones included, with what it cost and why it stopped; the privacy evidence's models by number. */
export function runsAppendix(runs: RunRecord[]): Block[] {
  const evidence = runs.some((r) => r.replica !== null)
  return [
    sectionHeader('Appendix: runs'),
    ...(evidence
      ? [
          {
            text: 'reference #k: reference model k of the membership attacks; retrain #r (band): the r-th extra retrain of the retrain band. Both are privacy evidence, not compared in the results.',
            style: 'small',
            margin: [0, 0, 0, 4]
          }
        ]
      : []),
    table(
      ['Method', 'Seed', 'Cell', 'Status', 'Steps', 'Seconds', 'Forget acc.', 'Test acc.', 'Error'],
      runs.map((r) => [
        runName(r),
        String(r.seed),
        cellLabel(r.cellKey),
        r.status,
        r.steps == null ? '—' : String(r.steps),
        fmt(scalarMetric(r.metrics, 'seconds'), 1),
        fmt(scalarMetric(r.metrics, 'forgetAccuracy')),
        fmt(scalarMetric(r.metrics, 'testAccuracy')),
        { text: r.error ?? '', style: 'small' }
      ]),
      [68, 22, 58, 40, 30, 36, 36, 36, '*'],
      { fontSize: 7 }
    )
  ]
}

export function specAppendix(spec: Record<string, unknown>): Block[] {
  return [
    sectionHeader('Appendix: task spec', { pageBreak: true }),
    { text: JSON.stringify(spec, null, 2), style: 'mono', preserveLeadingSpaces: true }
  ]
}

/** The hashes the numbers rest on, the content hash over them, and how a second auditor checks them. */
export function manifestSection(input: ReportInput): Block[] {
  const manifest = reportManifest(input.task, input.runs, input.splits)
  const names = new Map(input.runs.map((r) => [r.id, runName(r)]))
  return [
    sectionHeader('Manifest', { pageBreak: true }),
    keyValueTable([
      ['Content hash', contentHash(manifest)],
      ['Audit log head', input.logHead ? `entry ${input.logHead.seq}, sha256 ${input.logHead.hash}` : 'no log entries']
    ]),
    {
      text:
        'To verify: with the audit database and data folder this report came from, run `npm run audit -- verify <audit.db>`. ' +
        "It recomputes the audit log chain, every finished run's metrics hash against the one logged when it finished, and the files of every model and imported dataset, and prints this audit's content hash. " +
        "The content hash above is the sha256 of the canonical JSON of this manifest (spec, dataset, index lists, and each run's model and metrics hashes, all listed below); equal hashes mean the numbers in this report are the ones in the store. " +
        'A bundle exported with this report carries the same manifest; importing it into another copy recomputes the hash and refuses a bundle whose numbers differ.',
      style: 'small',
      margin: [0, 6, 0, 8]
    },
    keyValueTable([
      ['Spec sha256', manifest.specSha256],
      ['Dataset sha256', manifest.datasetSha256],
      ...manifest.splits.map((sp): [string, string] => [
        `${sp.kind} set, seed ${sp.seed}${sp.cellKey ? `, ${cellLabel(sp.cellKey)}` : ''}`,
        sp.sha256
      ])
    ]),
    table(
      ['Method', 'Seed', 'Status', 'Run id · output model sha256 · metrics sha256'],
      manifest.runs.map((r) => [
        names.get(r.id) ?? r.method,
        String(r.seed),
        r.status,
        mono(`${r.id}\n${r.outputModelSha256 ?? '—'}\n${r.metricsSha256}`)
      ]),
      [72, 26, 48, '*'],
      { margin: [0, 8, 0, 0] }
    )
  ]
}
