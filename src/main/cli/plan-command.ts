import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { formatDuration } from '@shared/format'
import { SpecError } from '@shared/task-spec'
import { planShards } from '../audit/shard-plan'
import type { createNodeServices } from './node-services'

/**
 * `plan <task.json> --shards N --out DIR`: writes plan.json (every group with its runs, cache keys
 * and shard) and one shard-K.json per shard, and prints each shard's estimate on this machine.
 */
export async function planCommand(
  services: ReturnType<typeof createNodeServices>,
  rawSpec: unknown,
  values: { shards?: string | undefined; out?: string | undefined },
  fail: (message: string) => never
): Promise<void> {
  const n = Number(values.shards)
  if (values.shards === undefined || !Number.isInteger(n) || n < 1)
    fail(`--shards must be a whole number of at least 1 (got ${values.shards ?? 'nothing'})`)
  if (!values.out) fail('--out DIR is needed: the folder the plan and its shard files are written to')
  const out = resolve(values.out)
  // A folder holding another plan's shards would mix two audits at merge time.
  if (existsSync(out) && readdirSync(out).some((f) => f === 'plan.json' || /^shard-\d+\.json$/.test(f)))
    fail(`${out} already holds a plan; choose an empty folder`)
  let planned: Awaited<ReturnType<typeof planShards>>
  try {
    planned = await planShards({ store: services.store, engine: services.engine, paths: services.paths }, rawSpec, n)
  } catch (err) {
    if (err instanceof SpecError) fail(`invalid task: ${err.message}`)
    throw err
  }
  mkdirSync(out, { recursive: true })
  const json = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`
  writeFileSync(join(out, 'plan.json'), json(planned.plan))
  for (const shard of planned.shards) writeFileSync(join(out, `shard-${shard.index}.json`), json(shard))
  const { plan } = planned
  process.stdout.write(`plan ${plan.planSha256.slice(0, 12)}… in ${out}: ${plan.shards.length} shard(s), ${plan.groups.length} group(s)\n`)
  if (plan.shards.length < n)
    process.stdout.write(
      `(${n} were asked for; the audit has only ${plan.shards.length} set(s) of groups that can run apart: groups sharing an original or reference models stay together)\n`
    )
  for (const s of plan.shards)
    process.stdout.write(
      `shard-${s.index}.json: ${s.groups.length} group(s), ${s.runs} run(s), about ${s.estimatedSeconds > 0 ? formatDuration(s.estimatedSeconds) : 'unknown time'} here\n`
    )
}
