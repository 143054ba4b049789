import type { AuditPlan, PlanGroup } from './plan'

/** A (cell, seed) group's identity across machines: what a shard file lists and a merge matches. */
export const groupKey = (g: { cell: { key: string }; seed: number } | { cellKey: string; seed: number }): string =>
  `${'cell' in g ? g.cell.key : g.cellKey}#${g.seed}`

/**
 * The groups that must run on one machine, so that no model is trained twice: those that share an
 * original (a chain), and with privacy evidence those that share a pool of reference models.
 */
export function shardUnits(plan: AuditPlan): PlanGroup[][] {
  const parent = plan.chains.map((_, i) => i)
  const root = (i: number): number => (parent[i] === i ? i : (parent[i] = root(parent[i]!)))
  const chainOfPool = new Map<string, number>()
  plan.chains.forEach((chain, i) => {
    for (const g of chain) {
      const pool = g.referenceKeys[0]
      if (pool === undefined) continue
      const other = chainOfPool.get(pool)
      if (other === undefined) chainOfPool.set(pool, i)
      else parent[root(i)] = root(other)
    }
  })
  const units = new Map<number, PlanGroup[]>()
  plan.chains.forEach((chain, i) => units.set(root(i), [...(units.get(root(i)) ?? []), ...chain]))
  return [...units.values()]
}

export interface Shard {
  groups: PlanGroup[]
  /** Estimated engine-seconds of the shard's runs on this machine. */
  seconds: number
}

/**
 * Splits the units into `n` shards balanced by their estimated time: the longest unit first, each
 * to the shard with the least time so far (ties to the lowest index), so the split is deterministic.
 * A shard may stay empty when there are fewer units than shards.
 */
export function assignShards(units: Array<{ groups: PlanGroup[]; seconds: number }>, n: number): Shard[] {
  if (!Number.isInteger(n) || n < 1) throw new Error(`--shards must be a whole number of at least 1, got ${n}`)
  const shards: Shard[] = Array.from({ length: n }, () => ({ groups: [], seconds: 0 }))
  const order = units.map((u, i) => ({ ...u, i })).sort((a, b) => b.seconds - a.seconds || a.i - b.i)
  // Equal times (none measured yet) go to the shard with fewer groups.
  const lighter = (a: Shard, b: Shard) => a.seconds < b.seconds || (a.seconds === b.seconds && a.groups.length < b.groups.length)
  for (const unit of order) {
    const target = shards.reduce((best, s, k) => (lighter(s, shards[best]!) ? k : best), 0)
    shards[target]!.groups.push(...unit.groups)
    shards[target]!.seconds += unit.seconds
  }
  return shards
}
