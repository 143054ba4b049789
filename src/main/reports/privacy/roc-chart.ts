import { methodColor } from '@shared/charts/run-task'
import { curveBand, logFloor, logGrid, type RocPoint, rocCurve } from './roc'

/** One attacked model's LiRA scores on the forget (member) and test (non-member) samples. */
export interface RocModel {
  name: string
  method: string
  members: number[]
  nonMembers: number[]
}

const BAND_COLOR = 'rgba(120, 120, 120, 0.35)'

const clamp = (floor: number) => (p: RocPoint) => [Math.max(p[0], floor), Math.max(p[1], floor)]

/**
 * The LiRA ROC curves of one cell and seed on log-log axes: the original and each method as lines,
 * the retrains as a grey band (lowest to highest TPR at each FPR), chance as the dashed diagonal.
 */
export function rocOption(title: string, models: RocModel[], retrains: RocModel[]): Record<string, unknown> | null {
  const all = [...models, ...retrains]
  if (!all.length) return null
  const floor = logFloor(Math.max(...all.map((m) => Math.max(m.members.length, m.nonMembers.length))))
  const band = curveBand(
    retrains.map((r) => rocCurve(r.members, r.nonMembers)),
    logGrid(floor)
  )
  // The band as one polygon: along its upper edge, then back along its lower edge.
  const polygon = [...band.map((b) => [b.fpr, Math.max(b.high, floor)]), ...[...band].reverse().map((b) => [b.fpr, Math.max(b.low, floor)])]
  const bandSeries = retrains.length
    ? [
        {
          name: `retrains (${retrains.length})`,
          type: 'custom',
          data: [0],
          color: BAND_COLOR,
          renderItem: (_: unknown, api: { coord: (p: number[]) => number[] }) => ({
            type: 'polygon',
            shape: { points: polygon.map((p) => api.coord(p)) },
            style: { fill: BAND_COLOR, stroke: 'rgba(120, 120, 120, 0.7)', lineWidth: 0.5 }
          })
        }
      ]
    : []
  const axis = (name: string) => ({ type: 'log', logBase: 10, min: floor, max: 1, name, nameLocation: 'middle', nameGap: 28 })
  return {
    title: { text: title, left: 'center', textStyle: { fontSize: 14 } },
    legend: { bottom: 0, itemGap: 18 },
    grid: { left: 60, right: 24, top: 40, bottom: 70 },
    xAxis: axis('false-positive rate (test samples called members)'),
    yAxis: { ...axis('true-positive rate (forget samples found)'), nameGap: 42 },
    series: [
      ...bandSeries,
      {
        name: 'chance',
        type: 'line',
        data: [
          [floor, floor],
          [1, 1]
        ],
        symbol: 'none',
        color: '#999',
        lineStyle: { type: 'dashed', width: 1 }
      },
      ...models.map((m) => ({
        name: m.name,
        type: 'line',
        data: rocCurve(m.members, m.nonMembers).map(clamp(floor)),
        symbol: 'none',
        color: methodColor(m.method),
        lineStyle: { width: 1.5 }
      }))
    ]
  }
}
