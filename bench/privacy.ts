import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import type { RunRecord } from '@shared/api/contract'
import { PRIVACY_TIERS } from '@shared/privacy/settings'
import type { AuditEstimate } from '@main/audit/estimate'
import { createNodeServices } from '@main/cli/node-services'
import { findAppRoot } from '@main/paths'
import { openDatabase } from '@main/store/database'
import type { Entry } from './entry'

/**
 * What the privacy evidence (issue 25) costs on the quickstart audit (`examples/quickstart.json`): the
 * audit run three times through the audit service, as the headless command runs it (one job per core,
 * no report), each in a fresh data folder so nothing is cached: without privacy, with the cheap tier and
 * with the rigorous tier. Per audit: the reference models and extra retrains it trained and their
 * seconds (each run's own `seconds`), the membership-attack pass (its engine job timed directly, from
 * dispatch to result, by wrapping the engine pool's `run`), the whole audit's wall time, and the
 * estimate's prediction for the same spec beside it.
 */

export type BenchTier = 'none' | 'cheap' | 'rigorous'

export interface PrivacyTierBench {
  tier: BenchTier
  referenceModels: number
  extraRetrains: number
  /** Engine seconds: the runs' own `seconds`, summed over runs that ran side by side. */
  referenceSeconds: number
  extraRetrainSeconds: number
  /** Wall seconds of the attack job(s), dispatch to result; the engine's own `seconds` of them beside it. */
  attackSeconds: number
  attackEngineSeconds: number
  /** Reference models + extra retrains + attack pass. */
  privacySeconds: number
  /** Every run's `seconds` plus the attack pass: the audit's engine time. */
  engineSeconds: number
  wallSeconds: number
  /** The estimate for this spec, from the speeds of the audit without privacy (model cache left out), and from this audit's own. */
  estimate: EstimateFigures | null
  repriced: EstimateFigures | null
  runs: number
  backend: string
}

interface EstimateFigures {
  referenceModels: number
  extraRetrains: number
  /** The estimate's privacy engine seconds (references, extra retrains, attacks). */
  privacySeconds: number
  seconds: number
  wallSeconds: number
  unmeasured: string[]
}

export interface PrivacyBench {
  jobs: number
  tiers: PrivacyTierBench[]
}

const seconds = (r: RunRecord) => (typeof r.metrics.seconds === 'number' ? r.metrics.seconds : 0)

function specFor(quickstart: Record<string, unknown>, tier: BenchTier): Record<string, unknown> {
  if (tier === 'none') return quickstart
  const methods = quickstart.methods as Array<string | { id: string }>
  const hasRetrain = methods.some((m) => (typeof m === 'string' ? m : m.id) === 'retrain')
  return {
    ...quickstart,
    name: `${String(quickstart.name)} + ${tier} privacy`,
    methods: hasRetrain ? methods : [...methods, 'retrain'],
    privacy: PRIVACY_TIERS[tier]
  }
}

/**
 * The estimate of `spec` priced from the runs in `dbFile`, in a copy whose model cache is emptied: every model
 * is priced as trained, as it is in a fresh data folder.
 */
async function estimateFrom(dbFile: string, spec: Record<string, unknown>, jobs: number): Promise<EstimateFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'ua-bench-privacy-estimate-'))
  try {
    const copy = join(dir, 'audit.db')
    copyFileSync(dbFile, copy)
    const db = openDatabase(copy)
    db.prepare('DELETE FROM model_cache').run()
    db.close()
    const services = createNodeServices({ dataDir: dir, dbFile: copy, jobs })
    try {
      const e: AuditEstimate = await services.audits.estimate(spec)
      return {
        referenceModels: e.privacy?.referenceModels ?? 0,
        extraRetrains: e.privacy?.extraRetrains ?? 0,
        privacySeconds: e.privacy?.seconds ?? 0,
        seconds: e.seconds,
        wallSeconds: e.wallSeconds,
        unmeasured: e.unmeasured
      }
    } finally {
      services.dispose()
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** One audit of `spec` in a fresh data folder; answers its measurements and keeps the database for the estimates. */
async function timeAudit(
  spec: Record<string, unknown>,
  tier: BenchTier,
  jobs: number,
  keepDb: string
): Promise<Omit<PrivacyTierBench, 'estimate' | 'repriced'>> {
  const dir = mkdtempSync(join(tmpdir(), `ua-bench-privacy-${tier}-`))
  try {
    const services = createNodeServices({ dataDir: dir, jobs })
    const attacks: Array<{ wall: number; engine: number }> = []
    // The attack pass is one engine job per cell and seed: timed where the service hands it to the pool.
    const run = services.engine.run.bind(services.engine)
    services.engine.run = async (job, opts) => {
      const t = performance.now()
      const result = await run(job, opts)
      if (job.kind === 'attack') attacks.push({ wall: (performance.now() - t) / 1000, engine: result.seconds })
      return result
    }
    let runs: RunRecord[]
    let wallSeconds: number
    try {
      const t = performance.now()
      const { taskId, done } = await services.audits.start(spec)
      await done
      wallSeconds = (performance.now() - t) / 1000
      runs = services.store.runs.list(taskId)
    } finally {
      services.dispose()
    }
    const unfinished = runs.filter((r) => r.status !== 'done')
    if (unfinished.length)
      throw new Error(
        `The ${tier} audit left ${unfinished.length} run(s) unfinished: ${unfinished.map((r) => `${r.method}#${r.replica ?? '-'} ${r.status}: ${r.error ?? ''}`).join('; ')}`
      )
    if (tier !== 'none' && attacks.length === 0) throw new Error(`The ${tier} audit ran no membership attacks (see the messages above)`)
    const references = runs.filter((r) => r.method === 'reference')
    const extra = runs.filter((r) => r.method === 'retrain' && (r.replica ?? 0) >= 1)
    const sum = (rs: RunRecord[]) => rs.reduce((s, r) => s + seconds(r), 0)
    const attackSeconds = attacks.reduce((s, a) => s + a.wall, 0)
    const backends = [...new Set(runs.map((r) => r.backend ?? 'unknown'))]
    copyFileSync(services.paths.dbFile, keepDb)
    return {
      tier,
      referenceModels: references.length,
      extraRetrains: extra.length,
      referenceSeconds: sum(references),
      extraRetrainSeconds: sum(extra),
      attackSeconds,
      attackEngineSeconds: attacks.reduce((s, a) => s + a.engine, 0),
      privacySeconds: sum(references) + sum(extra) + attackSeconds,
      engineSeconds: sum(runs) + attackSeconds,
      wallSeconds,
      runs: runs.length,
      backend: backends.join('+')
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** The quickstart audit without privacy, then at each tier in `tiers`; estimates priced from the audit without privacy. */
export async function privacyBench(root: string, tiers: Array<Exclude<BenchTier, 'none'>> = ['cheap', 'rigorous']): Promise<PrivacyBench> {
  const quickstart = JSON.parse(readFileSync(join(root, 'examples', 'quickstart.json'), 'utf8')) as Record<string, unknown>
  // As the headless command runs it: one job per core.
  const jobs = availableParallelism()
  const keep = mkdtempSync(join(tmpdir(), 'ua-bench-privacy-dbs-'))
  try {
    const results: PrivacyTierBench[] = []
    const baseDb = join(keep, 'none.db')
    for (const tier of ['none', ...tiers] as BenchTier[]) {
      const spec = specFor(quickstart, tier)
      const ownDb = join(keep, `${tier}.db`)
      const measured = await timeAudit(spec, tier, jobs, ownDb)
      const estimate = await estimateFrom(baseDb, spec, jobs)
      const repriced = tier === 'none' ? null : await estimateFrom(ownDb, spec, jobs)
      results.push({ ...measured, estimate, repriced })
    }
    return { jobs, tiers: results }
  } finally {
    rmSync(keep, { recursive: true, force: true })
  }
}

export function printPrivacyBench(b: PrivacyBench): void {
  const none = b.tiers.find((t) => t.tier === 'none')
  const pct = (v: number) => `${(100 * v).toFixed(0)} %`
  const s = (v: number) => v.toFixed(1)
  const tierLabel = (t: BenchTier) =>
    t === 'none' ? 'none' : `${t} (K ${PRIVACY_TIERS[t].referenceModels}, R ${PRIVACY_TIERS[t].retrains})`
  process.stdout.write(
    `\nPrivacy evidence on the quickstart audit (examples/quickstart.json through the audit service, ${b.jobs} job(s), no report, a fresh data folder each). ` +
      `Seconds are engine seconds (each run's own seconds, summed; runs overlap across jobs); the attack pass is its engine job timed from dispatch to result; ` +
      `share = privacy seconds / the audit's engine seconds; extra wall = wall − wall without privacy. ` +
      `Estimates: priced from the audit without privacy (and, in brackets, re-priced from this audit's own runs), model cache left out\n\n` +
      `| tier | backend | runs | reference models | extra retrains | references (s) | extra retrains (s) | attack pass (s) | privacy (s) | audit engine (s) | share | audit wall (s) | extra wall (s) | est. models + retrains | est. privacy (s) | est. audit (s) | est. share | est. wall (s) |\n` +
      `|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n`
  )
  for (const t of b.tiers) {
    const e = t.estimate
    const r = t.repriced
    const both = (f: (x: EstimateFigures) => string) => (e ? f(e) : '—') + (r ? ` [${f(r)}]` : '')
    const extraWall =
      none && t !== none ? `${s(t.wallSeconds - none.wallSeconds)} (${pct((t.wallSeconds - none.wallSeconds) / t.wallSeconds)})` : '—'
    process.stdout.write(
      `| ${tierLabel(t.tier)} | ${t.backend} | ${t.runs} | ${t.referenceModels} | ${t.extraRetrains} | ${s(t.referenceSeconds)} | ${s(t.extraRetrainSeconds)} | ${t.tier === 'none' ? '—' : `${s(t.attackSeconds)} (engine ${s(t.attackEngineSeconds)})`} | ${s(t.privacySeconds)} | ${s(t.engineSeconds)} | ${pct(t.privacySeconds / t.engineSeconds)} | ${s(t.wallSeconds)} | ${extraWall} | ${both((x) => `${x.referenceModels} + ${x.extraRetrains}`)} | ${both((x) => s(x.privacySeconds))} | ${both((x) => s(x.seconds))} | ${both((x) => (x.seconds > 0 ? pct(x.privacySeconds / x.seconds) : '—'))} | ${both((x) => s(x.wallSeconds))} |\n`
    )
  }
  const unmeasured = [...new Set(b.tiers.flatMap((t) => t.estimate?.unmeasured ?? []))]
  if (unmeasured.length) process.stdout.write(`\nLeft out of the estimates (never run before): ${unmeasured.join(', ')}\n`)
}

/** The rows results.json keeps: per tier the audit's wall time, and for the privacy tiers their seconds and share. */
export function privacyEntries(b: PrivacyBench): Entry[] {
  const peakRssMb = process.memoryUsage().rss / 2 ** 20
  return b.tiers.flatMap((t) => {
    const wall: Entry = { name: `quickstart-audit-privacy-${t.tier}`, ours: t.wallSeconds, unit: 's', backend: t.backend, peakRssMb }
    if (t.tier === 'none') return [wall]
    return [
      wall,
      { name: `privacy-${t.tier}-quickstart-seconds`, ours: t.privacySeconds, unit: 's', backend: t.backend, peakRssMb },
      {
        name: `privacy-${t.tier}-quickstart-share`,
        ours: (100 * t.privacySeconds) / t.engineSeconds,
        unit: '%',
        backend: t.backend,
        peakRssMb
      },
      ...(t.estimate
        ? [{ name: `privacy-${t.tier}-quickstart-estimate`, ours: t.estimate.privacySeconds, unit: 's', backend: t.backend, peakRssMb }]
        : [])
    ]
  })
}

if (process.argv[1]?.endsWith('privacy.ts')) {
  privacyBench(findAppRoot(__dirname))
    .then(printPrivacyBench)
    .catch((err: Error) => {
      process.stderr.write(`bench privacy: ${err.message}\n`)
      process.exit(1)
    })
}
