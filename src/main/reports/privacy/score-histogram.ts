const BINS = 20

/** Equal-width bins over the scores' own range (LiRA's are unbounded deviations, RMIA's shares). */
export function scoreBins(groups: ReadonlyArray<readonly number[]>, bins = BINS): { edges: number[]; shares: number[][] } {
  const all = groups.flat()
  const lo = all.length ? Math.min(...all) : 0
  const hi = all.length ? Math.max(...all) : 1
  const width = hi > lo ? (hi - lo) / bins : 1
  const shares = groups.map((scores) => {
    const counts = new Array<number>(bins).fill(0)
    for (const s of scores) counts[Math.min(bins - 1, Math.max(0, Math.floor((s - lo) / width)))]!++
    return counts.map((c) => (scores.length ? c / scores.length : 0))
  })
  return { edges: Array.from({ length: bins }, (_, i) => lo + i * width), shares }
}

/**
 * The LiRA scores of one model, forget samples (members) beside test samples (non-members): where
 * the two pile up apart, the attack tells them apart; on top of each other, it cannot.
 */
export function scoreHistogramOption(title: string, members: number[], nonMembers: number[]): Record<string, unknown> {
  const { edges, shares } = scoreBins([members, nonMembers])
  const bars = (name: string, data: number[], color: string) => ({ name, type: 'bar', data, color, barGap: 0, barCategoryGap: '10%' })
  return {
    title: { text: title, left: 'center', textStyle: { fontSize: 13 } },
    legend: { bottom: 0, itemGap: 18 },
    grid: { left: 52, right: 16, top: 36, bottom: 64 },
    xAxis: {
      type: 'category',
      data: edges.map((e) => e.toFixed(1)),
      name: 'LiRA score, SDs above the OUT models (bin from)',
      nameLocation: 'middle',
      nameGap: 26,
      axisLabel: { interval: 4 }
    },
    yAxis: { type: 'value', name: 'share of samples', nameLocation: 'middle', nameGap: 36 },
    series: [bars(`forget (${members.length})`, shares[0]!, '#d9534f'), bars(`test (${nonMembers.length})`, shares[1]!, '#5b8fd9')]
  }
}
