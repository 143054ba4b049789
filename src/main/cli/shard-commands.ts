import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { ShardRef } from '@shared/api/contract'
import { describeZodError } from '@shared/zod-errors'
import { datasetOf } from '../audit/audit-inputs'
import { exportBundle } from '../audit/bundle/export-bundle'
import { mergeShards } from '../audit/bundle/merge-shards'
import { toResultJson } from '../audit/result-json'
import { exportReport } from '../api/handlers'
import { describeMachine } from '../reports/report-input'
import { ImportError } from '../library/model-bundle'
import { hashDataset } from '../audit/dataset-hash'
import { type ShardFile, ShardFileSchema } from '../audit/shard-plan'
import type { createNodeServices } from './node-services'

type Services = ReturnType<typeof createNodeServices>

export interface ShardRun {
  file: ShardFile
  ref: ShardRef
  /** The shard's own folder: audit.db, the models, bundle.zip and a copy of the shard file. */
  out: string
}

/**
 * `run-shard <shard-K.json> --out DIR`: reads and checks the shard file, and claims DIR for it. A DIR
 * that already ran this shard is resumed; one that holds another shard is refused.
 */
export function openShard(args: string[], out: string | undefined, fail: (message: string) => never): ShardRun {
  if (args.length !== 1) fail('usage: npm run audit -- run-shard <shard-K.json> --out DIR [--jobs N]')
  if (!out) fail('--out DIR is needed: the folder the shard runs in (its database, models and bundle)')
  let json: unknown
  try {
    json = JSON.parse(readFileSync(args[0]!, 'utf8'))
  } catch (err) {
    fail(`cannot read the shard file ${args[0]}: ${(err as Error).message}`)
  }
  const parsed = ShardFileSchema.safeParse(json)
  if (!parsed.success) fail(`${args[0]} is not a shard file of a plan: ${describeZodError(parsed.error)}`)
  const file = parsed.data
  const dir = resolve(out)
  const copy = join(dir, 'shard.json')
  if (existsSync(copy)) {
    const held = ShardFileSchema.safeParse(JSON.parse(readFileSync(copy, 'utf8')))
    if (!held.success || held.data.planSha256 !== file.planSha256 || held.data.index !== file.index)
      fail(`${dir} already holds another shard; give each shard its own folder`)
  }
  mkdirSync(dir, { recursive: true })
  writeFileSync(copy, `${JSON.stringify(file, null, 2)}\n`)
  return {
    file,
    ref: { planSha256: file.planSha256, index: file.index, of: file.of, groups: file.groups, machine: describeMachine() },
    out: dir
  }
}

/** The plan was made for one dataset: a machine whose copy differs would give results that cannot be merged. */
export async function checkShardDataset(services: Services, run: ShardRun, fail: (message: string) => never): Promise<void> {
  let sha: string
  try {
    sha = await hashDataset(datasetOf(services, run.file.spec))
  } catch (err) {
    fail((err as Error).message)
  }
  if (sha !== run.file.datasetSha256)
    fail(
      `this machine's dataset "${run.file.spec.dataset.id}" (sha256 ${sha.slice(0, 12)}…) is not the one the plan was made with (${run.file.datasetSha256.slice(0, 12)}…)`
    )
}

/** Writes the shard's bundle (hash-checked by a merge) once its runs have ended. */
export async function finishShard(services: Services, taskId: string, run: ShardRun): Promise<void> {
  const file = join(run.out, 'bundle.zip')
  // A resumed shard writes its bundle again, with every run it has now.
  rmSync(file, { force: true })
  const bundle = await exportBundle(services, taskId, { file, includeModels: false })
  process.stdout.write(`shard ${run.file.index} of ${run.file.of}: bundle ${bundle.path} (sha256 ${bundle.sha256})\n`)
}

/** `merge <results dirs…> --db FILE`: one audit from every shard's results, hashes checked. */
export async function mergeCommand(
  services: Services,
  dirs: string[],
  values: { json?: string | undefined; report?: string | undefined },
  fail: (message: string, code?: number) => never
): Promise<void> {
  if (dirs.length === 0) fail('usage: npm run audit -- merge <results dir…> --db FILE [--json FILE] [--report FILE.pdf]')
  let merged: Awaited<ReturnType<typeof mergeShards>>
  try {
    merged = await mergeShards(
      { store: services.store, ...services.paths, appVersion: services.appVersion },
      dirs.map((d) => resolve(d))
    )
  } catch (err) {
    fail(err instanceof ImportError ? `cannot merge: ${err.message}` : (err as Error).message, err instanceof ImportError ? 2 : 1)
  }
  const { task } = merged
  const runs = services.store.runs.list(task.id)
  process.stdout.write(
    `${merged.alreadyMerged ? 'already merged' : 'merged'}: audit "${task.name}" (${task.id}), ${runs.length} runs from ${task.origin?.shards?.length ?? 0} shards; content hash ${task.origin?.contentHash ?? ''}\n`
  )
  if (values.json)
    writeFileSync(
      values.json,
      JSON.stringify(toResultJson(task, runs, services.store.tuningTrials.forRuns(runs.map((r) => r.id))), null, 2)
    )
  if (values.report) {
    const pdf = await exportReport(services, task.id, resolve(values.report))
    process.stdout.write(`report: ${pdf.path} (${pdf.bytes} bytes, sha256 ${pdf.sha256})\n`)
  }
}
