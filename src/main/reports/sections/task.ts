import type { DatasetSummary, RunRecord } from '@shared/api/contract'
import { meanAndSem } from '@shared/charts/task-space'
import { scalarMetric } from '@shared/metrics/definitions'
import { formatStat } from '@shared/metrics/display'
import { METHOD_NOTES } from '@shared/method-notes'
import { isMethodId } from '@shared/methods'
import { architectureLabel, type ForgetTask } from '@shared/task-spec'
import { type Block, cellLabel, fmt, keyValueTable, mono, sectionHeader, table, wrappableJson } from '../blocks'
import type { ReportInput } from '../report-input'

/** How an imported dataset was brought to the model's input: size, colour, scaling, skipped files. */
function describePreprocessing(d: DatasetSummary): string {
  const p = d.preprocessing as {
    size?: number[]
    color?: string
    scaling?: { kind: string; mean?: number[]; std?: number[] }
    valueScale?: string | null
  }
  const scaling =
    p.scaling?.kind === 'standardize'
      ? `standardised with mean ${p.scaling.mean?.map((v) => v.toFixed(3)).join('/')} and std ${p.scaling.std?.map((v) => v.toFixed(3)).join('/')}`
      : 'scaled to [0, 1]'
  const skipped = d.skipped.length ? `; ${d.skipped.length} source files skipped as unreadable` : ''
  return `imported "${d.name}": resized to ${p.size?.join('×')}, ${p.color}, ${scaling}${p.valueScale ? `; ${p.valueScale}` : ''}${skipped}`
}

function describeTask(spec: Record<string, unknown>, classNames: string[]): string {
  const task = spec.task as ForgetTask
  const name = (c: number) => `${c} (${classNames[c] ?? '?'})`
  if (task.kind === 'class') return `Forget every training sample of class ${task.classes.map(name).join(', ')}`
  if (task.kind === 'random')
    return `Forget a random ${(task.fraction * 100).toFixed(1)} % of the training samples${task.classes ? ` of class ${task.classes.map(name).join(', ')}` : ''}`
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

const sweepText = (spec: Record<string, unknown>) => (spec.sweep ? wrappableJson(spec.sweep) : null)

/** What was tested on what: dataset and its hash, the forget definition, set sizes, index-list hashes, seeds. */
export function taskSection(input: ReportInput): Block[] {
  const { task, dataset } = input
  const spec = task.spec
  const limits = spec.dataset as Record<string, unknown>
  const model = spec.model as { sha256?: string; arch?: string; width?: number }
  const sweep = sweepText(spec)
  return [
    sectionHeader('Task'),
    keyValueTable([
      ['Task id', task.id],
      ['Spec sha256', task.specSha256],
      [
        'Dataset',
        `${dataset?.name ?? task.datasetId} (id ${task.datasetId}; train limit ${String(limits.trainLimit ?? 'all')}, test limit ${String(limits.testLimit ?? 'all')})`
      ],
      ['Dataset sha256', task.datasetSha256],
      ['Classes', dataset ? dataset.classNames.map((c, i) => `${i} ${c}`).join(', ') : 'not in this copy'],
      ...(dataset?.preprocessing ? [['Dataset preprocessing', describePreprocessing(dataset)] as [string, string]] : []),
      model.sha256
        ? ['Original model', `given (imported), sha256 ${model.sha256}; measured, not trained`]
        : ['Original model', `trained here: ${architectureLabel(model)}, ${wrappableJson(spec.train)}`],
      ['Forget definition', describeTask(spec, dataset?.classNames ?? [])],
      ...(sweep ? [['Sweep', sweep] as [string, string]] : []),
      ['Seeds', (spec.seeds as number[]).join(', ')]
    ]),
    ...setsTable(input)
  ]
}

/** Per cell and seed: the sizes of D_f and the retain set (the test split is the dataset's), and the sha256 of every index list. */
function setsTable(input: ReportInput): Block[] {
  const originals = input.runs.filter((r) => r.method === 'original')
  const lists = (cellKey: string, seed: number) =>
    input.splits
      .filter((sp) => (sp.cellKey ?? '') === cellKey && sp.seed === seed)
      .map((sp) => `${sp.kind === 'forget' ? 'D_f' : 'D_c'}: ${sp.sha256}`)
      .join('\n') || '—'
  return [
    table(
      ['Cell', 'Seed', '|D_f|', 'Retain', 'Index lists (sha256)'],
      originals.map((r) => [
        cellLabel(r.cellKey),
        String(r.seed),
        r.forgetCount == null ? '—' : String(r.forgetCount),
        r.retainCount == null ? '—' : String(r.retainCount),
        mono(lists(r.cellKey, r.seed))
      ]),
      [58, 24, 28, 34, '*'],
      { margin: [0, 8, 0, 0] }
    )
  ]
}

const settingsText = (params: Record<string, unknown>) =>
  Object.entries(params)
    .map(([k, v]) => `${k}: ${wrappableJson(v)}`)
    .join(', ') || '(none)'

/**
 * Every setting of every method, defaults included, and the optimiser steps and seconds it used. In a
 * tuned audit these are each method's own settings (trial 0); the Tuning section names the ones kept.
 */
export function methodsSection(runs: RunRecord[], tuned = false): Block[] {
  const variants = [...new Map(runs.map((r) => [`${r.method}:${JSON.stringify(r.params)}`, r])).keys()]
  const rows = variants.map((key) => {
    const same = runs.filter((r) => `${r.method}:${JSON.stringify(r.params)}` === key && r.status === 'done')
    const first = runs.find((r) => `${r.method}:${JSON.stringify(r.params)}` === key)!
    const steps = meanAndSem(same.map((r) => r.steps).filter((v): v is number => v !== null))
    const seconds = meanAndSem(same.map((r) => scalarMetric(r.metrics, 'seconds')).filter((v): v is number => v !== null))
    return [first.method, mono(settingsText(first.params)), steps ? fmt(steps.mean, 0) : '—', formatStat(seconds, 1), String(same.length)]
  })
  return [
    sectionHeader('Methods and settings'),
    table(['Method', 'Settings (all, defaults included)', 'Steps', 'Seconds', 'Runs'], rows, [70, '*', 36, 62, 28], {}),
    {
      text: 'Steps: optimiser steps of the method itself (mean over its finished runs); seconds: wall-clock time of the method, mean ± SEM (n = 1 for one run), without evaluation.',
      style: 'small',
      margin: [0, 4, 0, 0]
    },
    ...(tuned
      ? [
          {
            text: 'This audit was tuned: the settings above are each method’s own, its trial 0. Each run was made with the settings of the trial it kept, which the Tuning section names with every trial.',
            style: 'small',
            margin: [0, 2, 0, 0]
          }
        ]
      : []),
    ...methodNotes(runs)
  ]
}

/** Where each method's defaults come from, and what did not reproduce here, for the methods of this audit. */
function methodNotes(runs: RunRecord[]): Block[] {
  const ids = [...new Set(runs.map((r) => r.method))].filter(isMethodId)
  if (!ids.length) return []
  return [
    { text: 'Method notes', bold: true, margin: [0, 8, 0, 2] },
    ...ids.map((id) => ({
      text: [
        { text: `${id}. `, bold: true },
        `Defaults: ${METHOD_NOTES[id].defaults}`,
        ...(METHOD_NOTES[id].measuredHere ? [{ text: ` Measured here: ${METHOD_NOTES[id].measuredHere}`, italics: true }] : [])
      ],
      style: 'small',
      margin: [0, 1, 0, 1]
    }))
  ]
}
