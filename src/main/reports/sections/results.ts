import type { RunRecord } from '@shared/api/contract'
import { costParetoOption, costQualityOption } from '@shared/charts/cost-quality'
import { discoveryLinesOption } from '@shared/charts/discovery-lines'
import { bestMethods, leaderboardRows } from '@shared/charts/leaderboard'
import { methodComparisonOption, summarizeByMethod } from '@shared/charts/method-comparison'
import { confusionOption, perClassBarsOption } from '@shared/charts/per-class'
import { redirectionOption } from '@shared/charts/redirection'
import { resetLayersOption } from '@shared/charts/reset-layers'
import { comparedMethods } from '@shared/charts/run-task'
import { taskSpaceGrid, taskSpaceHeatmapOption, taskSpaceMethods } from '@shared/charts/task-space'
import { tradeOffOption } from '@shared/charts/trade-off'
import { formatStat } from '@shared/metrics/display'
import { METRIC_GROUPS } from '@shared/metrics/groups'
import { CORRUPTIONS } from '@shared/task-spec'
import { type Block, cellLabel, chunk, note, sectionHeader, subHeader, table } from '../blocks'
import { renderChartSvg } from '../svg-charts'

// Beyond this many metric columns a table's numbers no longer fit a portrait page.
const COLUMNS_PER_TABLE = 5

const chart = (option: Record<string, unknown> | null, width = 500, size: [number, number] = [640, 360]): Block[] =>
  option ? [{ svg: renderChartSvg(option, size[0], size[1]), width, margin: [0, 10, 0, 0] }] : []

/** The leaderboard, one table per metric group: mean ± SEM over every cell and seed (n = 1 for one run), references first. */
function leaderboard(runs: RunRecord[]): Block[] {
  const metrics = METRIC_GROUPS.flatMap((g) => g.metrics)
  const rows = leaderboardRows(runs, metrics)
  const best = bestMethods(rows, metrics)
  return METRIC_GROUPS.flatMap((g) => {
    const present = g.metrics.filter((m) => rows.some((r) => r.stats[m.key]))
    return chunk(present, COLUMNS_PER_TABLE).flatMap((cols, i) => [
      subHeader(i === 0 ? g.label : `${g.label} (continued)`),
      table(
        ['Method', ...cols.map((m) => (m.higherIsBetter === null ? m.label : `${m.label} ${m.higherIsBetter ? '↑' : '↓'}`))],
        rows.map((r) => [
          r.reference ? `${r.method} (ref.)` : r.method,
          ...cols.map((m) => {
            const st = r.stats[m.key]
            return { text: formatStat(st), bold: best[m.key] === r.method }
          })
        ]),
        [80, ...cols.map(() => '*')]
      )
    ])
  })
}

/** For sweeps: one heat-map per method over regularity × discovery rate, and the lines over discovery rate. */
function taskSpaceCharts(runs: RunRecord[], baseTask: Record<string, unknown>): Block[] {
  if (!runs.some((r) => r.cell !== null)) return []
  const grid = taskSpaceGrid(runs, baseTask, 'utilityTimesHealed')
  const maps = grid
    ? taskSpaceMethods(runs).map((m) => ({
        svg: renderChartSvg(taskSpaceHeatmapOption(grid, m, 'Utility × Healed', { animation: false }), 420, 260),
        width: 250,
        margin: [0, 6, 0, 0]
      }))
    : []
  return [
    sectionHeader('Task space'),
    ...(maps.length
      ? [
          note(
            'Utility × Healed over regularity × discovery rate: mean ± SEM over seeds (n = 1 where a cell has one seed), one colour scale for every method.'
          ),
          ...chunk(maps, 2).map((pair) => ({ columns: pair }))
        ]
      : []),
    ...CORRUPTIONS.flatMap((c) =>
      chart(discoveryLinesOption(runs, baseTask, c, 'healedTrain', 'Healed (train)', { animation: false }), 500, [640, 320])
    )
  ]
}

/** The drill-down in numbers: per method, how the discovered and the undiscovered corrupted samples fare. */
function corruptedSamples(runs: RunRecord[]): Block[] {
  const keys = ['healedDiscovered', 'followsCorruptedDiscovered', 'healedUndiscovered', 'followsCorruptedUndiscovered']
  const summary = summarizeByMethod(runs).filter((s) => s.seeds > 0 && keys.some((k) => typeof s.means[k] === 'number'))
  if (!summary.length) return []
  const pct = (v: number | null | undefined) => (typeof v === 'number' ? `${(100 * v).toFixed(1)} %` : '—')
  return [
    sectionHeader('Corrupted samples, discovered and undiscovered'),
    note(
      'Mean over runs. "Still corrupted" = predicted with the corrupted label trained on; "healed" = predicted with the clean label. The app shows each sample.'
    ),
    table(
      ['Method', 'Discovered: healed', 'Discovered: still corrupted', 'Undiscovered: healed', 'Undiscovered: still corrupted'],
      summary.map((s) => [s.method, ...keys.map((k) => pct(s.means[k]))]),
      [80, '*', '*', '*', '*']
    )
  ]
}

/** One run class by class (REM's first when there is one): per-class accuracy beside the references, and its confusion. */
function classByClass(runs: RunRecord[], classNames: string[] | undefined): Block[] {
  const method = comparedMethods(runs).find((m) => m !== 'retrain')
  const run = method ? runs.find((r) => r.method === method && r.status === 'done') : undefined
  if (!classNames || !run) return []
  const charts = [
    perClassBarsOption(run, runs, classNames, { animation: false }),
    confusionOption(run, classNames, { animation: false })
  ].flatMap((o) => chart(o, 460, [640, 380]))
  if (!charts.length) return []
  return [
    sectionHeader('Class by class'),
    note(`${run.method}, seed ${run.seed}${run.cellKey ? `, ${cellLabel(run.cellKey)}` : ''}; the app shows any other run the same way.`),
    ...charts
  ]
}

/** What each method did inside the model, for its first finished run: REM's redirection, the layers a method reset. */
function insideTheModel(runs: RunRecord[]): Block[] {
  const firsts = comparedMethods(runs).map((m) => runs.find((r) => r.method === m && r.status === 'done')!)
  const charts = firsts.flatMap((r) => [
    ...chart(r.method === 'rem' ? redirectionOption(r, { animation: false }) : null),
    ...chart(resetLayersOption(r, { animation: false }))
  ])
  return charts.length
    ? [sectionHeader('Inside the model'), note('The first finished run of each method; the app shows every run.'), ...charts]
    : []
}

export function resultsSection(runs: RunRecord[], baseTask: Record<string, unknown>, classNames: string[] | undefined): Block[] {
  return [
    sectionHeader('Results', { pageBreak: true }),
    note(
      'Leaderboard: mean ± SEM over every finished run (all cells and seeds); a mean that rests on one run reads n = 1 instead. Original and retrain are reference rows and are never ranked; the best other method is bold where a metric has a direction (↑ higher is better, ↓ lower).'
    ),
    ...leaderboard(runs),
    ...chart(methodComparisonOption(runs, { animation: false })),
    ...chart(costQualityOption(runs, { animation: false })),
    ...chart(tradeOffOption(runs, { animation: false })),
    ...chart(costParetoOption(runs, { animation: false })),
    ...taskSpaceCharts(runs, baseTask),
    ...corruptedSamples(runs),
    ...classByClass(runs, classNames),
    ...insideTheModel(runs)
  ]
}
