import type { RunRecord } from '../api/contract'

/**
 * One run read class by class: its per-class test accuracy beside the original's and retraining's
 * on the same cell and seed, and its confusion matrix on the test split.
 */

/** The run's references: the original and the retrain run of the same cell and seed, when there. */
export function referenceRuns(run: RunRecord, runs: RunRecord[]): { original: RunRecord | null; retrain: RunRecord | null } {
  const peer = (method: string) =>
    runs.find((r) => r.method === method && r.status === 'done' && r.seed === run.seed && r.cellKey === run.cellKey && r.id !== run.id) ??
    null
  return { original: peer('original'), retrain: peer('retrain') }
}

const perClass = (run: RunRecord | null): Array<number | null> | null => {
  const v = run?.metrics.perClassTestAccuracy
  return Array.isArray(v) ? v : null
}

export function perClassBarsOption(
  run: RunRecord,
  runs: RunRecord[],
  classNames: string[],
  opts: { animation?: boolean } = {}
): Record<string, unknown> | null {
  if (perClass(run) === null) return null
  const { original, retrain } = referenceRuns(run, runs)
  const bars = [
    { name: `${run.method} (seed ${run.seed})`, values: perClass(run) },
    { name: 'original', values: perClass(original) },
    { name: 'retrain', values: perClass(retrain) }
  ].filter((b): b is { name: string; values: Array<number | null> } => b.values !== null)
  return {
    animation: opts.animation ?? true,
    title: { text: 'Test accuracy per class', left: 'center', textStyle: { fontSize: 13 } },
    tooltip: { trigger: 'axis' },
    legend: { bottom: 0 },
    grid: { left: 45, right: 15, top: 35, bottom: 80 },
    xAxis: { type: 'category', data: classNames, axisLabel: { rotate: 30, fontSize: 10 } },
    yAxis: { type: 'value', min: 0, max: 1 },
    series: bars.map((b) => ({ name: b.name, type: 'bar', data: b.values.map((v) => (v === null ? '-' : Number(v.toFixed(4)))) }))
  }
}

/** Row-normalised confusion (each true class sums to 1); null when the run has none stored. */
export function confusionRates(run: RunRecord, numClasses: number): number[][] | null {
  const counts = run.metrics.testConfusion
  if (!Array.isArray(counts) || counts.length !== numClasses * numClasses) return null
  return Array.from({ length: numClasses }, (_, y) => {
    const row = counts.slice(y * numClasses, (y + 1) * numClasses).map((c) => c ?? 0)
    const total = row.reduce((a, b) => a + b, 0)
    return row.map((c) => (total ? c / total : 0))
  })
}

export function confusionOption(run: RunRecord, classNames: string[], opts: { animation?: boolean } = {}): Record<string, unknown> | null {
  const rates = confusionRates(run, classNames.length)
  if (!rates) return null
  const data = rates.flatMap((row, y) => row.map((r, p) => [p, y, Number(r.toFixed(3))]))
  return {
    animation: opts.animation ?? true,
    title: { text: `Confusion on the test split: ${run.method}, seed ${run.seed}`, left: 'center', textStyle: { fontSize: 13 } },
    tooltip: { position: 'top' },
    grid: { left: 90, right: 20, top: 35, bottom: 105 },
    xAxis: {
      type: 'category',
      name: 'predicted',
      nameLocation: 'middle',
      nameGap: 75,
      data: classNames,
      axisLabel: { rotate: 30, fontSize: 9 }
    },
    yAxis: {
      type: 'category',
      name: 'true',
      nameLocation: 'middle',
      nameGap: 75,
      data: classNames,
      inverse: true,
      axisLabel: { fontSize: 9 }
    },
    visualMap: { min: 0, max: 1, show: false, inRange: { color: ['rgba(8, 48, 107, 0.03)', '#08306b'] } },
    series: [
      {
        type: 'heatmap',
        data,
        // Outlined text stays readable on pale and dark cells, in light and dark themes.
        label: {
          show: true,
          fontSize: 9,
          color: '#111',
          textBorderColor: '#fff',
          textBorderWidth: 2,
          formatter: (p: { value: number[] }) => (p.value[2]! >= 0.01 ? p.value[2]!.toFixed(2) : '')
        }
      }
    ]
  }
}
