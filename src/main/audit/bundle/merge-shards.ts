import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { TaskSummary } from '@shared/api/contract'
import { ImportError } from '@main/library/model-bundle'
import { contentHash, reportManifest } from '@main/reports/manifest'
import { planAudit } from '../plan'
import { ShardFileSchema } from '../shard-plan'
import { groupKey } from '../shards'
import { checkDataset, type ImportDeps, readVerifiedBundle } from './import-bundle'

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')

/** The merged audit's id, from its plan: merging the same shards again finds it instead of adding another. */
const mergedId = (planSha256: string) => {
  const h = sha256(`merged:${planSha256}`)
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`
}

interface ShardResult {
  dir: string
  index: number
  bundleSha256: string
  audit: ReturnType<typeof readVerifiedBundle>['audit']
}

/** One shard's folder (from run-shard): its shard file and its bundle, every hash checked. */
function readShardResult(dir: string): ShardResult & { planSha256: string; of: number } {
  const shardFile = join(dir, 'shard.json')
  const bundle = join(dir, 'bundle.zip')
  if (!existsSync(shardFile) || !existsSync(bundle))
    throw new ImportError(`${dir} is not a shard's results: it needs the shard.json and bundle.zip that run-shard writes`)
  const parsed = ShardFileSchema.safeParse(JSON.parse(readFileSync(shardFile, 'utf8')))
  if (!parsed.success) throw new ImportError(`${shardFile} is not a shard file`)
  const shard = parsed.data
  let verified: ReturnType<typeof readVerifiedBundle>
  try {
    verified = readVerifiedBundle(bundle)
  } catch (err) {
    throw new ImportError(`shard ${shard.index} (${dir}): ${(err as Error).message}`)
  }
  const ran = verified.audit.task.shard
  // The bundle must be that shard's own results, not another audit's bundle put beside the file.
  if (!ran || ran.planSha256 !== shard.planSha256 || ran.index !== shard.index)
    throw new ImportError(
      `shard ${shard.index} (${dir}): its bundle holds ${ran ? `shard ${ran.index} of plan ${ran.planSha256.slice(0, 12)}…` : 'an audit that is not a shard'}`
    )
  return { dir, index: shard.index, of: shard.of, planSha256: shard.planSha256, bundleSha256: verified.bundleSha256, audit: verified.audit }
}

/**
 * Merges the results of a sharded audit's shards into one audit, stored read-only like an imported
 * bundle: refused, naming the shard, when a bundle's hashes fail, when a shard belongs to another
 * plan, when one is given twice, or when one is missing. The merged audit's runs are in plan order,
 * each with the backend it ran on; its content hash covers them all.
 */
/**
 * The shards found in some folders, every bundle's hashes checked: which of the plan's shards are here
 * and which are missing. Refused, naming the shard, when one belongs to another plan or is given twice.
 */
export function inspectShards(dirs: string[]) {
  if (dirs.length === 0) throw new ImportError('no shard folders given')
  const results = dirs.map(readShardResult)
  const first = results[0]!
  for (const r of results) {
    if (r.planSha256 !== first.planSha256)
      throw new ImportError(
        `shard ${r.index} (${r.dir}) belongs to another plan (${r.planSha256.slice(0, 12)}…, not ${first.planSha256.slice(0, 12)}…)`
      )
    const twice = results.find((o) => o !== r && o.index === r.index)
    if (twice) throw new ImportError(`shard ${r.index} is given twice: ${twice.dir} and ${r.dir}`)
  }
  const missing = Array.from({ length: first.of }, (_, i) => i + 1).filter((k) => !results.some((r) => r.index === k))
  return { results, first, name: first.audit.task.name, of: first.of, present: results.map((r) => r.index).sort((a, b) => a - b), missing }
}

export async function mergeShards(
  deps: ImportDeps & { appVersion: string },
  dirs: string[]
): Promise<{ task: TaskSummary; alreadyMerged: boolean }> {
  const { results, first, missing } = inspectShards(dirs)
  if (missing.length) throw new ImportError(`shard(s) ${missing.join(', ')} of ${first.of} are missing; merge once every shard has run`)

  const base = first.audit.task
  const id = mergedId(first.planSha256)
  const existing = deps.store.tasks.get(id)
  if (existing) return { task: existing, alreadyMerged: true }
  // Runs in the order the whole audit would have created them.
  const plan = planAudit(base.spec, { datasetSha256: base.datasetSha256, givenModelMeasured: false })
  const order = new Map(
    plan.steps.map(({ group, step }, i) => [`${groupKey(group)}|${step.method}|${step.replica}|${JSON.stringify(step.params)}`, i])
  )
  const rank = (r: ShardResult['audit']['runs'][number]) =>
    order.get(`${groupKey({ cellKey: r.cellKey, seed: r.seed })}|${r.method}|${r.replica}|${JSON.stringify(r.params)}`) ??
    Number.MAX_SAFE_INTEGER
  const runs = results.flatMap((r) => r.audit.runs.map((run) => ({ ...run, taskId: id }))).sort((a, b) => rank(a) - rank(b))
  // In the order the store lists them (cell, seed, kind), so the content hash recomputes from the store.
  const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)
  const splits = results
    .flatMap((r) => r.audit.splits)
    .sort((a, b) => byText(a.cellKey, b.cellKey) || a.seed - b.seed || byText(a.kind, b.kind))
  const models = [...new Map(results.flatMap((r) => r.audit.models).map((m) => [m.sha256, m])).values()]
  const task: TaskSummary = {
    ...base,
    id,
    shard: null,
    createdAt: Math.min(...results.map((r) => r.audit.task.createdAt)),
    counts: {},
    active: false
  }
  await checkDataset(deps, task.datasetId, task.datasetSha256)
  const shards = [...results]
    .sort((a, b) => a.index - b.index)
    .map((r) => ({
      index: r.index,
      bundleSha256: r.bundleSha256,
      machine: r.audit.task.shard?.machine ?? null,
      groups: r.audit.task.shard?.groups ?? []
    }))
  deps.store.importedAudits.insert(
    {
      task,
      runs,
      splits,
      dataset: first.audit.dataset,
      models,
      attackScores: Object.assign({}, ...results.map((r) => r.audit.attackScores)),
      tuningTrials: Object.assign({}, ...results.map((r) => r.audit.tuningTrials)),
      origin: {
        bundleSha256: sha256(shards.map((s) => s.bundleSha256).join('\n')),
        contentHash: contentHash(reportManifest(task, runs, splits)),
        appVersion: deps.appVersion,
        importedAt: Date.now(),
        shards
      }
    },
    new Map()
  )
  return { task: deps.store.tasks.get(id)!, alreadyMerged: false }
}
