import { createHash } from 'node:crypto'
import { z } from 'zod'
import { cellSpec, expandCells } from '@shared/sweep'
import { checkSpecAgainstDataset, parseTaskSpec, ResolvedTaskSpecSchema, type TaskSpec } from '@shared/task-spec'
import { type AuditInputDeps, datasetOf, givenOriginal, resolveModelPath } from './audit-inputs'
import { canonicalJson } from './content-key'
import { hashDataset } from './dataset-hash'
import { priceGroups } from './estimate'
import { planAudit } from './plan'
import { assignShards, groupKey, shardUnits } from './shards'

const Sha256 = z.string().regex(/^[0-9a-f]{64}$/)
const GroupRef = z.object({ cellKey: z.string(), seed: z.number().int() }).strict()

/** One shard as a file that travels to the machine that runs it: the whole spec, and which groups are its own. */
export const ShardFileSchema = z
  .object({
    format: z.literal('unlearning-audit-shard'),
    version: z.literal(1),
    /** The plan every shard of one audit shares; a merge refuses shards of another. */
    planSha256: Sha256,
    index: z.number().int().min(1),
    of: z.number().int().min(1),
    spec: ResolvedTaskSpecSchema,
    datasetSha256: Sha256,
    groups: z.array(GroupRef).min(1),
    estimatedSeconds: z.number().min(0)
  })
  .strict()
export type ShardFile = z.infer<typeof ShardFileSchema>

const PlannedStepRecord = z.object({
  method: z.string(),
  params: z.record(z.string(), z.unknown()),
  replica: z.number().int().nullable(),
  cacheKey: z.string().nullable()
})

/** The whole plan, for the person who schedules it: every group with its runs and cache keys, and its shard. */
export const PlanFileSchema = z
  .object({
    format: z.literal('unlearning-audit-plan'),
    version: z.literal(1),
    planSha256: Sha256,
    spec: ResolvedTaskSpecSchema,
    datasetSha256: Sha256,
    shards: z.array(
      z.object({ index: z.number().int().min(1), runs: z.number().int(), estimatedSeconds: z.number(), groups: z.array(GroupRef) })
    ),
    groups: z.array(
      GroupRef.extend({
        shard: z.number().int().min(1),
        /** Groups with the same chain share their original: they run one after another on one machine. */
        chain: z.number().int().min(0),
        steps: z.array(PlannedStepRecord)
      })
    )
  })
  .strict()
export type PlanFile = z.infer<typeof PlanFileSchema>

/** What the plan's hash covers: the spec, the data, and which groups each shard runs. */
export function planSha256(spec: TaskSpec, datasetSha256: string, shards: Array<Array<{ cellKey: string; seed: number }>>): string {
  return createHash('sha256')
    .update(canonicalJson({ spec, datasetSha256, shards: shards.map((groups) => groups.map(groupKey)) }))
    .digest('hex')
}

/**
 * Splits an audit into `n` shards any scheduler can run: groups that share an original (or a pool of
 * reference models) stay together, and the shards are balanced by this machine's time estimate.
 * Shards left empty (fewer groups than shards) are dropped, so `of` may be below `n`.
 */
export async function planShards(deps: AuditInputDeps, rawSpec: unknown, n: number): Promise<{ plan: PlanFile; shards: ShardFile[] }> {
  const spec = parseTaskSpec(await resolveModelPath(deps, rawSpec, { importIfNew: false }))
  const location = datasetOf(deps, spec)
  const info = location.info
  for (const cell of expandCells(spec))
    checkSpecAgainstDataset(cellSpec(spec, cell), {
      numClasses: info.classNames.length,
      trainSize: info.trainSize,
      testSize: info.testSize
    })
  const datasetSha256 = await hashDataset(location)
  const plan = planAudit(spec, { datasetSha256, givenModelMeasured: givenOriginal(deps, spec)?.use === 'measure' })
  const trainCount = Math.min(spec.dataset.trainLimit ?? info.trainSize, info.trainSize)
  const runsOf = (groups: typeof plan.groups) => groups.reduce((n, g) => n + 1 + g.references.length + g.methods.length, 0)
  const priced = shardUnits(plan).map((groups) => ({ groups, seconds: priceGroups(deps.store, spec, groups, trainCount) }))
  // A unit never timed here (another width, say) is priced per run like the units that were, so it still balances.
  const known = priced.filter((u) => u.seconds > 0)
  const perRun =
    known.reduce((t, u) => t + u.seconds, 0) /
    Math.max(
      1,
      known.reduce((n, u) => n + runsOf(u.groups), 0)
    )
  const units = priced.map((u) => (u.seconds > 0 ? u : { ...u, seconds: perRun * runsOf(u.groups) }))
  const shards = assignShards(units, n).filter((s) => s.groups.length > 0)
  const refs = shards.map((s) => s.groups.map((g) => ({ cellKey: g.cell.key, seed: g.seed })))
  const sha = planSha256(spec, datasetSha256, refs)
  const shardOf = new Map(shards.flatMap((s, k) => s.groups.map((g) => [groupKey(g), k + 1] as const)))
  const chainOf = new Map(plan.chains.flatMap((chain, c) => chain.map((g) => [groupKey(g), c] as const)))
  const runs = (g: (typeof plan.groups)[number]) => 1 + g.references.length + g.methods.length
  return {
    plan: {
      format: 'unlearning-audit-plan',
      version: 1,
      planSha256: sha,
      spec,
      datasetSha256,
      shards: shards.map((s, k) => ({
        index: k + 1,
        runs: s.groups.reduce((sum, g) => sum + runs(g), 0),
        estimatedSeconds: s.seconds,
        groups: refs[k]!
      })),
      groups: plan.groups.map((g) => ({
        cellKey: g.cell.key,
        seed: g.seed,
        shard: shardOf.get(groupKey(g))!,
        chain: chainOf.get(groupKey(g))!,
        steps: [g.original, ...g.references, ...g.methods].map((s) => ({
          method: s.method,
          params: s.params,
          replica: s.replica,
          cacheKey: s.cacheKey
        }))
      }))
    },
    shards: shards.map((s, k) => ({
      format: 'unlearning-audit-shard',
      version: 1,
      planSha256: sha,
      index: k + 1,
      of: shards.length,
      spec,
      datasetSha256,
      groups: refs[k]!,
      estimatedSeconds: s.seconds
    }))
  }
}
