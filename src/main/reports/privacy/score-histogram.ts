const BINS = 20

/** Each score's share per bin of [0, 1] (LiRA's scores are probabilities), so groups of any size compare. */
export function binShares(scores: readonly number[], bins = BINS): number[] {
  const counts = new Array<number>(bins).fill(0)
  for (const s of scores) counts[Math.min(bins - 1, Math.max(0, Math.floor(s * bins)))]!++
  return counts.map((c) => (scores.length ? c / scores.length : 0))
}

/**
 * The LiRA scores of one model, forget samples (members) beside test samples (non-members): where
 * the two pile up apart, the attack tells them apart; on top of each other, it cannot.
 */
export function scoreHistogramOption(title: string, members: number[], nonMembers: number[]): Record<string, unknown> {
  const edges = Array.from({ length: BINS }, (_, i) => (i / BINS).toFixed(2))
  const bars = (name: string, data: number[], color: string) => ({ name, type: 'bar', data, color, barGap: 0, barCategoryGap: '10%' })
  return {
    title: { text: title, left: 'center', textStyle: { fontSize: 13 } },
    legend: { bottom: 0, itemGap: 18 },
    grid: { left: 52, right: 16, top: 36, bottom: 64 },
    xAxis: {
      type: 'category',
      data: edges,
      name: 'LiRA score (bin from)',
      nameLocation: 'middle',
      nameGap: 26,
      axisLabel: { interval: 4 }
    },
    yAxis: { type: 'value', name: 'share of samples', nameLocation: 'middle', nameGap: 36 },
    series: [
      bars(`forget (${members.length})`, binShares(members), '#d9534f'),
      bars(`test (${nonMembers.length})`, binShares(nonMembers), '#5b8fd9')
    ]
  }
}
