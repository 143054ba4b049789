import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { planAudit, REFERENCE } from '@main/audit/plan'
import { PlanFileSchema, ShardFileSchema } from '@main/audit/shard-plan'
import { assignShards, groupKey, shardUnits } from '@main/audit/shards'
import { parseTaskSpec } from '@shared/task-spec'
import { runAuditCli } from '../helpers/run-cli'
import { makeTempDir } from '../helpers/tmp'
import { tinySweep } from '../helpers/tiny-sweep'

const DATASET = 'a'.repeat(64)

describe('shards of an audit', () => {
  it('keep every chain (groups sharing an original) whole, and with privacy every pool of reference models', () => {
    const spec = parseTaskSpec({ ...tinySweep('shards'), seeds: [0, 1] })
    const plan = planAudit(spec, { datasetSha256: DATASET, givenModelMeasured: false })
    const units = shardUnits(plan)
    expect(units).toHaveLength(plan.chains.length)
    for (const unit of units) expect(new Set(unit.map((g) => g.original.cacheKey)).size).toBe(1)
    // A forgetting task's reference models are shared by every seed: with privacy, one unit holds them all.
    const privacy = parseTaskSpec({
      ...tinySweep('shards'),
      task: { kind: 'random', fraction: 0.1 },
      sweep: { fraction: [0.1, 0.2] },
      methods: ['retrain', 'finetune'],
      seeds: [0, 1, 2],
      privacy: { referenceModels: 2, retrains: 1 }
    })
    const privatePlan = planAudit(privacy, { datasetSha256: DATASET, givenModelMeasured: false })
    expect(privatePlan.chains.length).toBe(3)
    expect(shardUnits(privatePlan)).toHaveLength(1)
  })

  it('balance by time, longest first, deterministically; equal (unmeasured) times by group count', () => {
    const spec = parseTaskSpec({ ...tinySweep('shards'), seeds: [0, 1, 2] })
    const plan = planAudit(spec, { datasetSha256: DATASET, givenModelMeasured: false })
    const units = shardUnits(plan)
    const timed = units.map((groups, i) => ({ groups, seconds: [50, 10, 40, 30, 20, 60][i]! }))
    const shards = assignShards(timed, 3)
    expect(shards.map((s) => s.seconds)).toEqual([70, 70, 70])
    expect(assignShards(timed, 3)).toEqual(shards)
    const untimed = assignShards(
      units.map((groups) => ({ groups, seconds: 0 })),
      3
    )
    expect(untimed.map((s) => s.groups.length)).toEqual([4, 4, 4])
    expect(() => assignShards(timed, 0)).toThrow(/--shards/)
  })

  it('a shard plans only its own groups, and trains the reference models of a pool in the first group it has', () => {
    const spec = parseTaskSpec({
      ...tinySweep('shards'),
      task: { kind: 'random', fraction: 0.1 },
      sweep: { fraction: [0.1, 0.2] },
      methods: ['retrain'],
      seeds: [0, 1],
      privacy: { referenceModels: 2, retrains: 1 }
    })
    const full = planAudit(spec, { datasetSha256: DATASET, givenModelMeasured: false })
    expect(full.groups[0]!.references).toHaveLength(2)
    const only = new Set(full.groups.slice(1).map(groupKey))
    const shard = planAudit(spec, {
      datasetSha256: DATASET,
      givenModelMeasured: false,
      only: (cellKey, seed) => only.has(groupKey({ cellKey, seed }))
    })
    expect(shard.groups.map(groupKey)).toEqual([...only])
    expect(shard.groups[0]!.references.map((r) => r.method)).toEqual([REFERENCE, REFERENCE])
    expect(shard.groups[0]!.references.map((r) => r.cacheKey)).toEqual(full.groups[0]!.references.map((r) => r.cacheKey))
  })
})

describe('npm run audit -- plan', () => {
  const tmp = makeTempDir('plan-cli')
  afterAll(() => tmp.cleanup())
  const spec = join(tmp.dir, 'task.json')
  writeFileSync(
    spec,
    JSON.stringify({
      name: 'sharded sweep',
      dataset: { id: 'fashion-mnist', trainLimit: 300, testLimit: 100 },
      model: { arch: 'mlp' },
      train: { epochs: 1, learningRate: 0.05 },
      task: { kind: 'corrupted', corruption: 'random-swap', corruptedCount: 20, discoveryRate: 0.5 },
      methods: ['retrain', 'finetune'],
      seeds: [0, 1, 2],
      sweep: { discoveryRate: [0.25, 0.5] }
    })
  )
  const db = join(tmp.dir, 'audit.db')

  it('writes the plan and one file per shard, each shard a whole chain, and prints their estimates', async () => {
    const out = join(tmp.dir, 'plan')
    const r = await runAuditCli(['plan', spec, '--shards', '3', '--out', out, '--db', db])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/3 shard\(s\), 6 group\(s\)/)
    expect(r.stdout).toMatch(/shard-3\.json: 2 group\(s\), 6 run\(s\)/)
    const plan = PlanFileSchema.parse(JSON.parse(readFileSync(join(out, 'plan.json'), 'utf8')))
    const shards = [1, 2, 3].map((k) => ShardFileSchema.parse(JSON.parse(readFileSync(join(out, `shard-${k}.json`), 'utf8'))))
    expect(shards.every((s) => s.planSha256 === plan.planSha256 && s.of === 3)).toBe(true)
    // Every group in exactly one shard; the two discovery rates of a seed (one original) in the same one.
    expect(shards.flatMap((s) => s.groups.map(groupKey)).sort()).toEqual(plan.groups.map(groupKey).sort())
    for (const s of shards) expect(new Set(s.groups.map((g) => g.seed)).size).toBe(1)
    expect(plan.groups.every((g) => g.steps[0]!.method === 'original' && g.steps[0]!.cacheKey !== null)).toBe(true)
    // The same spec plans the same shards again.
    const again = await runAuditCli(['plan', spec, '--shards', '3', '--out', join(tmp.dir, 'again'), '--db', db])
    expect(JSON.parse(readFileSync(join(tmp.dir, 'again', 'plan.json'), 'utf8')).planSha256).toBe(plan.planSha256)
    expect(again.code).toBe(0)
  }, 120_000)

  it('refuses a folder that holds a plan, and a shard count that is not a whole number', async () => {
    const out = join(tmp.dir, 'plan')
    expect(existsSync(join(out, 'plan.json'))).toBe(true)
    const taken = await runAuditCli(['plan', spec, '--shards', '2', '--out', out, '--db', db])
    expect(taken.code).not.toBe(0)
    expect(taken.stderr).toMatch(/already holds a plan/)
    const bad = await runAuditCli(['plan', spec, '--shards', 'two', '--out', join(tmp.dir, 'x'), '--db', db])
    expect(bad.stderr).toMatch(/--shards must be a whole number/)
  }, 120_000)
})
