import type { RunRecord } from '../api/contract'
import { CORRUPTIONS } from '../task-spec'
import { comparedMethods, CORRUPTION_LABEL, runTask } from './run-task'

/**
 * REM's task-space view: regularity (corruption type) against discovery rate, one heat-map per
 * method, colour = a chosen metric's mean over seeds, cell text = mean and SEM (or n = 1). Every method's map
 * shares one colour scale so the maps can be read against each other.
 */

export interface Stat {
  mean: number
  sem: number
  n: number
}

export function meanAndSem(values: number[]): Stat | null {
  if (values.length === 0) return null
  const mean = values.reduce((a, b) => a + b, 0) / values.length
  const variance = values.length > 1 ? values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1) : 0
  return { mean, sem: Math.sqrt(variance / values.length), n: values.length }
}

/** A finished run's coordinates in the task space: its sweep cell over the task it was planned from. */
export function taskSpacePoint(run: RunRecord, baseTask: Record<string, unknown>): { corruption: string; discoveryRate: number } | null {
  const c = runTask(run, baseTask)
  return typeof c.corruption === 'string' && typeof c.discoveryRate === 'number'
    ? { corruption: c.corruption, discoveryRate: c.discoveryRate }
    : null
}

export const taskSpaceMethods = comparedMethods

export interface TaskSpaceGrid {
  corruptions: string[]
  discoveryRates: number[]
  /** Per method, per `${corruption}|${discoveryRate}`, the statistic over seeds. */
  cells: Map<string, Map<string, Stat>>
  min: number
  max: number
}

export function taskSpaceGrid(runs: RunRecord[], baseTask: Record<string, unknown>, metric: string): TaskSpaceGrid | null {
  const values = new Map<string, Map<string, number[]>>()
  const corruptions = new Set<string>()
  const rates = new Set<number>()
  for (const run of runs) {
    const at = taskSpacePoint(run, baseTask)
    const v = run.metrics[metric]
    if (run.status !== 'done' || !at || typeof v !== 'number') continue
    corruptions.add(at.corruption)
    rates.add(at.discoveryRate)
    const byCell = values.get(run.method) ?? new Map<string, number[]>()
    const key = `${at.corruption}|${at.discoveryRate}`
    byCell.set(key, [...(byCell.get(key) ?? []), v])
    values.set(run.method, byCell)
  }
  if (values.size === 0) return null
  const cells = new Map([...values].map(([method, byCell]) => [method, new Map([...byCell].map(([k, vs]) => [k, meanAndSem(vs)!]))]))
  const means = [...cells.values()].flatMap((m) => [...m.values()].map((s) => s.mean))
  return {
    // Regularity from high (a shared trigger) to low (random labels), as REM orders it.
    corruptions: CORRUPTIONS.filter((c) => corruptions.has(c)),
    discoveryRates: [...rates].sort((a, b) => a - b),
    cells,
    min: Math.min(...means),
    max: Math.max(...means)
  }
}

/**
 * The colours of the task-space scale, low to high (viridis: ordered in lightness, readable by the
 * colour-blind, on a light page and a dark one). The app draws its one legend from these.
 */
export const TASK_SPACE_COLORS = ['#440154', '#3b528b', '#21918c', '#5ec962', '#fde725']

/** A cell's text: the mean, and its standard error, or `n = 1` when one seed stands behind it. */
export function taskSpaceCellLabel(s: Stat): string {
  return `${s.mean.toFixed(2)}\n${s.n <= 1 ? 'n = 1' : `±${s.sem.toFixed(2)}`}`
}

/**
 * One method's heat-map on the grid's shared scale. `showScale: false` hides the map's own colour
 * bar, for small multiples that draw one legend for all of them.
 */
export function taskSpaceHeatmapOption(
  grid: TaskSpaceGrid,
  method: string,
  metricLabel: string,
  opts: { animation?: boolean; showScale?: boolean } = {}
): Record<string, unknown> {
  const showScale = opts.showScale ?? true
  const byCell = grid.cells.get(method) ?? new Map<string, Stat>()
  const data = grid.corruptions.flatMap((c, y) =>
    grid.discoveryRates.map((d, x) => {
      const s = byCell.get(`${c}|${d}`)
      return s ? { value: [x, y, Number(s.mean.toFixed(4))], label: taskSpaceCellLabel(s) } : { value: [x, y, '-'], label: '' }
    })
  )
  return {
    animation: opts.animation ?? true,
    title: { text: `${method}: ${metricLabel}`, left: 'center', textStyle: { fontSize: 13 } },
    tooltip: { position: 'top' },
    grid: { left: 110, right: 20, top: 35, bottom: showScale ? 55 : 40 },
    xAxis: { type: 'category', name: 'discovery rate', nameLocation: 'middle', nameGap: 25, data: grid.discoveryRates.map(String) },
    yAxis: { type: 'category', data: grid.corruptions.map((c) => CORRUPTION_LABEL[c] ?? c) },
    visualMap: {
      min: grid.min,
      max: grid.max === grid.min ? grid.min + 1e-6 : grid.max,
      calculable: false,
      orient: 'horizontal',
      left: 'center',
      bottom: 0,
      itemHeight: 80,
      textStyle: { fontSize: 9 },
      inRange: { color: TASK_SPACE_COLORS },
      show: showScale
    },
    series: [
      {
        type: 'heatmap',
        data: data.map((d) => d.value),
        label: {
          show: true,
          fontSize: 10,
          lineHeight: 12,
          color: '#fff',
          textBorderColor: 'rgba(0, 0, 0, 0.75)',
          textBorderWidth: 2,
          formatter: (p: { dataIndex: number }) => data[p.dataIndex]?.label ?? ''
        }
      }
    ]
  }
}
