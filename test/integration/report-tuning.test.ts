import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { exportReport } from '@main/api/handlers'
import { tuningSection } from '@main/reports/sections/tuning'
import type { RunRecord } from '@shared/api/contract'
import { searchSpaceOf } from '@shared/methods'
import { describeDimension, TUNING_OBJECTIVES, type TuningRecord } from '@shared/tuning'
import { runAuditExpectingDone, useAuditServices } from '../helpers/audit-services'
import { readPdf } from '../helpers/pdf'
import { runRecord } from '../helpers/run-record'

/**
 * The Tuning section of a tuned audit's report, through the exporter the app and the CLI use: the
 * budget, the objective's label and rule, the validation split and the untouched test split; per
 * method its search space and, per seed, every trial as stored with the kept one marked.
 */
const services = useAuditServices('report-tuning')

const spec = {
  name: 'tuning report',
  dataset: { id: 'fashion-mnist', trainLimit: 600, testLimit: 200 },
  model: { arch: 'mlp' },
  train: { epochs: 2, batchSize: 64, learningRate: 0.05 },
  task: { kind: 'class', classes: [1] },
  methods: ['retrain', { id: 'finetune', params: { epochs: 1 } }, 'gradient-ascent'],
  seeds: [0, 1],
  tuning: { trials: 3 }
}

const oneLine = (text: string) => text.replace(/\s+/g, ' ')
const three = (v: number | null) => (v === null ? '—' : v.toFixed(3))

/** The lines of the PDF from the heading `from` (its last occurrence, past the contents) up to the heading `to`. */
function section(lines: string[], from: string, to: string): string[] {
  const start = lines.lastIndexOf(from)
  const end = lines.indexOf(to, start + 1)
  expect(start, `heading ${from}`).toBeGreaterThan(-1)
  expect(end, `heading ${to}`).toBeGreaterThan(start)
  return lines.slice(start + 1, end)
}

describe('the Tuning section of the report', () => {
  it('states the budget and rules, and prints every trial of every tuned run with the kept one marked', async () => {
    const { taskId, runs } = await runAuditExpectingDone(services, spec)
    const records = services.store.tuningTrials.forRuns(runs.map((r) => r.id))
    const file = join(services.paths.dataDir, 'tuning.pdf')
    await exportReport(services, taskId, file)
    const lines = (await readPdf(file)).pages.flatMap((p) => p.lines)
    const tuning = section(lines, 'Tuning', 'Results')
    const text = oneLine(tuning.join(' '))

    expect(text).toContain('Every method but retrain had the same budget: 3 trials per run')
    expect(text).toContain('Retrain is not tuned: it is the reference')
    expect(text).toContain(oneLine(`${TUNING_OBJECTIVES.tow.label} (chosen automatically`))
    expect(text).toContain(oneLine(TUNING_OBJECTIVES.tow.rule))
    const validation = [...records.values()][0]!.validationCount
    expect(text).toContain(`10 % of the retain set`)
    expect(text).toContain(`${validation} samples per run`)
    expect(text).toContain('The test split is never read by a trial.')
    // The methods section says its settings are trial 0's.
    expect(oneLine(section(lines, 'Methods and settings', 'Tuning').join(' '))).toContain('This audit was tuned')

    const tuned = runs.filter((r) => r.method === 'finetune' || r.method === 'gradient-ascent')
    expect([...records.keys()].sort()).toEqual(tuned.map((r) => r.id).sort())
    // The kept table: one line per tuned run.
    for (const run of tuned) {
      const r = records.get(run.id)!
      const kept = r.trials[r.kept]!
      expect(text).toContain(`${run.method} seed ${run.seed} trial ${r.kept} of 3`)
      expect(text).toContain(three(kept.objective))
    }
    for (const method of ['finetune', 'gradient-ascent'] as const) {
      const space = Object.entries(searchSpaceOf(method)!).map(([n, d]) => describeDimension(n, d))
      expect(text).toContain(`Search space: ${space.join(', ')}.`)
    }
    // Every trial, in order: method, then seed; the kept one marked, its parts and objective to 3 decimals.
    let at = tuning.findIndex((l) => l === 'finetune')
    expect(at, 'the finetune heading').toBeGreaterThan(-1)
    for (const run of [...tuned].sort((a, b) => (a.method === b.method ? a.seed - b.seed : a.method === 'finetune' ? -1 : 1))) {
      const r = records.get(run.id)!
      at = tuning.indexOf(`seed ${run.seed}`, at + 1)
      expect(at, `${run.method} seed ${run.seed}`).toBeGreaterThan(-1)
      for (const t of r.trials) {
        const head = t.trial === r.kept ? `${t.trial} kept ` : `${t.trial} `
        at = tuning.findIndex((l, k) => k > at && l.startsWith(head))
        expect(at, `${run.method} seed ${run.seed} trial ${t.trial}`).toBeGreaterThan(-1)
        const row = tuning[at]!
        if (t.trial === 0) expect(row).toContain('own settings')
        for (const c of ['forgetAccuracy', 'retainAccuracy', 'validationAccuracy']) expect(row).toContain(three(t.components[c] ?? null))
        expect(row).toContain(three(t.objective))
      }
    }
  }, 180_000)

  it('is left out without tuning, and names a failed trial’s reason in a column of its own', () => {
    const run: RunRecord = { ...runRecord('finetune', 0, {}), id: 'r1' }
    expect(tuningSection([run], 'class', null)).toEqual([])
    const record: TuningRecord = {
      objective: 'tow',
      validationCount: 40,
      heldOutCount: 0,
      kept: 1,
      trials: [
        {
          trial: 0,
          params: { learningRate: 0.01 },
          objective: null,
          components: {},
          seconds: 0.5,
          error: 'non-finite weights (dense/kernel)'
        },
        {
          trial: 1,
          params: { learningRate: 0.003 },
          objective: 0.5,
          components: { forgetAccuracy: 0.1, retainAccuracy: 0.9, validationAccuracy: 0.8 },
          seconds: 0.4,
          error: null
        }
      ]
    }
    const blocks = JSON.stringify(
      tuningSection([run], 'class', {
        settings: { trials: 2, selectBy: 'auto', validationFraction: 0.1 },
        records: new Map([['r1', record]])
      })
    )
    expect(blocks).toContain('"Failure"')
    expect(blocks).toContain('non-finite weights (dense/kernel)')
    expect(blocks).toContain('"1 kept"')
    expect(blocks).toContain('learningRate 0.003')
    expect(blocks).toContain('"trial 1 of 2"')
  })
})
