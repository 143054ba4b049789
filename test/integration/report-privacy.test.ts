import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { exportReport } from '@main/api/handlers'
import { NO_PRIVACY_NOTE } from '@main/reports/sections/privacy'
import type { RunRecord } from '@shared/api/contract'
import { intervalKey } from '@shared/metrics/names'
import { RETRAIN_BAND_RULE } from '@shared/privacy/retrain-band'
import { threatModel } from '@shared/privacy/threat-model'
import { isAuditRun } from '@shared/run-filter'
import { runAuditExpectingDone, useAuditServices } from '../helpers/audit-services'
import { pageInk, readPdf } from '../helpers/pdf'

/**
 * The report of a tiny audit with privacy evidence, through the services and the exporter the app and
 * the CLI use: the section prints the threat model, the stored numbers, the band rule and the
 * self-test's state; reference models stay out of the comparisons and are listed in the appendix.
 */
const services = useAuditServices('report-privacy')

const privacy = { referenceModels: 2, retrains: 2, attackSize: 50 }
const spec = {
  name: 'privacy report',
  dataset: { id: 'fashion-mnist', trainLimit: 600, testLimit: 300 },
  model: { arch: 'mlp' },
  train: { epochs: 3, batchSize: 64, learningRate: 0.05 },
  task: { kind: 'random', fraction: 0.1 },
  methods: ['retrain', { id: 'finetune', params: { epochs: 1 } }],
  seeds: [1],
  privacy
}

const oneLine = (text: string) => text.replace(/\s+/g, ' ')
const three = (v: number) => v.toFixed(3)

/** The lines of the PDF from the heading `from` (its last occurrence as a line of its own, past the contents) up to the heading `to`. */
function section(lines: string[], from: string, to: string): string[] {
  const start = lines.lastIndexOf(from)
  const end = lines.indexOf(to, start + 1)
  expect(start, `heading ${from}`).toBeGreaterThan(-1)
  expect(end, `heading ${to}`).toBeGreaterThan(start)
  return lines.slice(start + 1, end)
}

describe('the privacy evidence in the report', () => {
  let runs: RunRecord[] = []
  let lines: string[] = []
  let pdf = ''

  it('prints the threat model, each model’s attack readings with intervals and band marks, and the rule', async () => {
    const { taskId } = await runAuditExpectingDone(services, spec)
    runs = services.store.runs.list(taskId)
    expect(runs.filter((r) => r.method === 'reference').map((r) => r.replica)).toEqual([0, 1])
    pdf = join(services.paths.dataDir, 'privacy.pdf')
    await exportReport(services, taskId, pdf)
    const facts = await readPdf(pdf)
    lines = facts.pages.flatMap((p) => p.lines)

    const evidence = section(lines, 'Privacy evidence', 'Metric definitions')
    const text = oneLine(evidence.join('\n'))
    for (const sentence of threatModel(privacy)) expect(text).toContain(oneLine(sentence))
    expect(text).toContain(RETRAIN_BAND_RULE)

    // The original's LiRA AUC as stored, with its interval, on the original's row.
    const original = runs.find((r) => r.method === 'original')!
    const auc = original.metrics.liraAuc as number
    const [low, high] = original.metrics[intervalKey('liraAuc')] as [number, number]
    expect(auc).toBeTypeOf('number')
    const row = evidence.findIndex((l) => l.startsWith('seed 1 original'))
    expect(row, evidence.join('\n')).toBeGreaterThan(-1)
    expect(evidence[row]).toContain(three(auc))
    expect(evidence[row + 1]).toContain(`[${three(low)}, ${three(high)}]`)
    expect(evidence[row + 2]).toMatch(/^(within|outside) /)
    // The finetune row too, and the band row over both retrains.
    const finetune = runs.find((r) => r.method === 'finetune')!
    expect(evidence.find((l) => l.startsWith('finetune'))).toContain(three(finetune.metrics.liraAuc as number))
    const band = evidence.findIndex((l) => l.startsWith('retrain band'))
    expect(evidence[band + 1]).toMatch(/^\(2 retrains\)/)

    // With 2 retrains the self-test cannot run, and the report says what it needs.
    expect(text).toContain('Not run: the self-test needs 3 retrains')
    expect(text).toContain('A calibrated test reads 0.5')
    // The ROC chart, the histograms and the most exposed samples' thumbnails (images in the PDF).
    expect(text).toContain('LiRA ROC on the forget set against test samples')
    expect(text).toContain('Original model')
    expect(text).toContain('Closest to retraining: finetune')
    // Each thumbnail carries its LiRA score, in deviations above the reference models that never saw it.
    expect(text).toMatch(/LiRA -?\d+\.\d SD/)
    expect(readFileSync(pdf).toString('latin1')).toMatch(/\/Subtype \/Image/)
    // The pages with the charts render with content (the SVG and the images draw).
    const ink = await pageInk(pdf, 30)
    const charted = facts.pages.flatMap((p, k) => (p.lines.some((l) => l.startsWith('LiRA in detail')) ? [k] : []))
    expect(charted.length).toBeGreaterThan(0)
    for (const k of charted) expect(ink[k], `page ${k + 1}`).toBeGreaterThan(0.02)
  }, 600_000)

  it('leaves reference models and extra retrains out of the results and lists them in the runs appendix', () => {
    const results = section(lines, 'Results', 'Privacy evidence')
    expect(results.filter((l) => /^reference\s+(\d|—)|reference #|\(band\)/.test(l))).toEqual([])
    // The leaderboard's retrain row rests on the audit's one retrain, not on the band's extra one.
    const retrainRows = results.filter((l) => l.startsWith('retrain (ref.)'))
    expect(retrainRows.length).toBeGreaterThan(0)
    for (const l of retrainRows) expect(l).not.toMatch(/±/)
    const methods = section(lines, 'Methods and settings', 'Results')
    expect(methods.some((l) => l.startsWith('reference'))).toBe(false)

    const appendix = section(lines, 'Appendix: runs', 'Appendix: task spec')
    for (const name of ['reference #0', 'reference #1', 'retrain #1 (band)'])
      expect(
        appendix.some((l) => l.startsWith(name)),
        name
      ).toBe(true)
    expect(runs.filter((r) => !isAuditRun(r))).toHaveLength(3)
  })

  it('says in one line that the attacks were not run for an audit without privacy', async () => {
    const { taskId } = await runAuditExpectingDone(services, { ...spec, name: 'no privacy', privacy: undefined })
    const file = join(services.paths.dataDir, 'plain.pdf')
    await exportReport(services, taskId, file)
    const plain = (await readPdf(file)).pages.flatMap((p) => p.lines)
    expect(oneLine(section(plain, 'Privacy evidence', 'Metric definitions').join('\n'))).toBe(NO_PRIVACY_NOTE)
  }, 300_000)
})
