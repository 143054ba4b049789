import type { RunRecord } from '@shared/api/contract'
import { mostExposed, rocOption, scoreHistogramOption, type ScoredRun } from '@shared/charts/privacy-charts'
import { retrainBand, retrainsOf } from '@shared/privacy/retrain-band'
import { isAuditRun } from '@shared/run-filter'
import { type Block, cellLabel, note, runName, subHeader } from '../blocks'
import { renderChartSvg } from '../svg-charts'
import { valueOf } from './attack-table'
import { EXPOSED_PER_RUN, type PrivacyGroupInput } from './privacy-input'
import { thumbnailDataUrl } from './thumbnail-png'

const svg = (option: Record<string, unknown> | null, size: [number, number], width: number): Block[] =>
  option ? [{ svg: renderChartSvg(option, size[0], size[1]), width, margin: [0, 6, 0, 0] }] : []

/**
 * The method read as closest to retraining: lowest U-LiRA where measured, else the LiRA AUC nearest
 * the retrains' mean. Null without methods.
 */
export function closestToRetrain(methods: RunRecord[], retrains: RunRecord[]): RunRecord | null {
  const withUlira = methods.filter((r) => valueOf(r, 'ulira') !== null)
  if (withUlira.length) return withUlira.reduce((a, b) => (valueOf(b, 'ulira')! < valueOf(a, 'ulira')! ? b : a))
  const mean = retrainBand(retrains, 'liraAuc')?.mean ?? 0.5
  const gap = (r: RunRecord) => Math.abs((valueOf(r, 'liraAuc') ?? Infinity) - mean)
  return methods.length ? methods.reduce((a, b) => (gap(b) < gap(a) ? b : a)) : null
}

/** Per model, its most exposed forget samples as thumbnails with their LiRA scores. */
function thumbnails(models: RunRecord[], group: PrivacyGroupInput): Block[] {
  const images = group.images
  if (!images) return []
  if ('unavailable' in images) return [note(`The most exposed samples’ images are not shown: ${images.unavailable}.`)]
  const byIndex = new Map(images.samples.map((s) => [s.index, s]))
  const rows = models.map((r) => {
    const top = mostExposed(group.scores[r.id]!, EXPOSED_PER_RUN)
    const cells = Array.from({ length: EXPOSED_PER_RUN }, (_, k) => {
      const m = top[k]
      const sample = m ? byIndex.get(m.index) : undefined
      if (!m || !sample) return ''
      return {
        stack: [
          { image: thumbnailDataUrl(sample.pixels, images.inputShape), width: 40 },
          { text: `#${m.index} ${images.classNames[sample.label] ?? sample.label}`, fontSize: 6 },
          { text: `LiRA ${m.score.toFixed(1)} SD`, fontSize: 6 }
        ]
      }
    })
    return [{ text: runName(r), bold: true }, ...cells]
  })
  return [
    note(
      `The ${EXPOSED_PER_RUN} forget samples each model leaves most exposed (highest LiRA score: how many deviations above the reference models that never saw it the model’s confidence lies), with their training index and label as trained (a corrupted task’s label and trigger included).`
    ),
    {
      table: { widths: [70, ...Array.from({ length: EXPOSED_PER_RUN }, () => 70)], dontBreakRows: true, body: rows },
      layout: 'noBorders',
      margin: [0, 2, 0, 0]
    }
  ]
}

/** One cell and seed's charts: ROC curves, the score histograms of the original and the method closest to retraining, the most exposed samples. */
export function groupFigures(runs: RunRecord[], group: PrivacyGroupInput): Block[] {
  const scored = (r: RunRecord) => group.scores[r.id] !== undefined
  const own = runs.filter((r) => isAuditRun(r) && r.cellKey === group.cellKey && r.seed === group.seed && scored(r))
  const original = own.find((r) => r.method === 'original')
  const methods = own.filter((r) => r.method !== 'original' && r.method !== 'retrain')
  const retrains = retrainsOf(runs, group.cellKey, group.seed).filter(scored)
  const label = `${group.cellKey ? `${cellLabel(group.cellKey)}, ` : ''}seed ${group.seed}`
  if (!original && !methods.length) return [subHeader(label), note('No per-example scores were kept for this cell and seed.')]
  // The app's Privacy tab draws the same charts from the same code (shared/charts/privacy-charts.ts).
  const scoredRun = (r: RunRecord): ScoredRun => ({ runId: r.id, method: r.method, replica: r.replica, scores: group.scores[r.id]! })
  const best = closestToRetrain(methods, retrains)
  const histogram = (r: RunRecord | null | undefined, title: string) =>
    r ? svg(scoreHistogramOption(scoredRun(r), 'lira', title, { animation: false }), [420, 280], 250) : []
  const histograms = [...histogram(original, 'Original model'), ...histogram(best, `Closest to retraining: ${best?.method}`)]
  const curves = [...(original ? [original] : []), ...retrains, ...methods].map(scoredRun)
  return [
    subHeader(`LiRA in detail: ${label}`),
    ...svg(rocOption(curves, 'lira', { animation: false }), [640, 400], 440),
    note(
      'Log-log axes, so the low false-positive end, where an attack is confident, shows; rates below 0.001 are drawn on the axes. The thin grey lines are the retrains of this cell and seed: what retraining itself gives.'
    ),
    ...(histograms.length ? [{ columns: histograms, columnGap: 10 }] : []),
    ...(best
      ? [note(`"Closest to retraining": the method with the lowest U-LiRA AUC, or without U-LiRA the LiRA AUC nearest the retrains’ mean.`)]
      : []),
    ...thumbnails([...(original ? [original] : []), ...methods], group)
  ]
}
