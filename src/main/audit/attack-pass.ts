import { join, resolve } from 'node:path'
import type { AuditChange } from '@shared/api/contract'
import { cellJobTask } from '@shared/sweep'
import type { TaskSpec } from '@shared/task-spec'
import type { EnginePool } from '../engine-host/pool'
import type { AuditStore } from '../store/audit-store'
import type { PlanGroup, PlannedStep } from './plan'

/**
 * The membership attacks of one cell and seed, once its runs have ended: every finished model of the
 * group (original, retrains, methods) is attacked in one engine job, with the chain's reference
 * models found in the model cache. The metrics are added to each run and the per-example scores
 * kept for the Privacy tab. A group whose finished runs all carry the attacks' metrics is skipped,
 * so a resume attacks only what it has to.
 */
export class GroupAttacks {
  constructor(
    private readonly store: AuditStore,
    private readonly engine: EnginePool,
    private readonly paths: { resourcesDir: string; dataDir: string },
    private readonly announce: (e: AuditChange) => void
  ) {}

  async attackGroup(
    taskId: string,
    spec: TaskSpec,
    group: PlanGroup,
    runIdOf: (s: PlannedStep) => string,
    signal: AbortSignal
  ): Promise<void> {
    if (!spec.privacy) return
    const steps = [group.original, ...group.methods]
    const runs = steps.map((step) => ({ step, run: this.store.runs.get(runIdOf(step)) }))
    const targets = runs.flatMap(({ step, run }) => {
      const model = run?.status === 'done' ? this.store.runs.outputModelOf(run.id) : null
      return run && model
        ? [{ runId: run.id, dir: resolve(this.paths.dataDir, model.path), retrain: step.method === 'retrain', replica: step.replica }]
        : []
    })
    const pending = targets.filter((t) => typeof this.store.runs.get(t.runId)?.metrics.liraAuc !== 'number')
    if (!targets.length || !pending.length) return
    const references = group.referenceKeys.flatMap((key, index) => {
      const found = this.store.modelCache.find(key)
      return found ? [{ index, dir: resolve(this.paths.dataDir, found.path) }] : []
    })
    const cell = { cellKey: group.cell.key, seed: group.seed }
    if (references.length < 2) {
      const error = `Only ${references.length} of ${group.referenceKeys.length} reference models finished; the attacks need at least 2. Retry the failed runs to attack this cell.`
      this.store.attackScores.putFailure(taskId, cell, error)
      return
    }
    try {
      const result = await this.engine.run(
        {
          kind: 'attack',
          resourcesDir: this.paths.resourcesDir,
          dataDir: this.paths.dataDir,
          spec: cellJobTask(spec, group.cell),
          seed: group.seed,
          privacy: spec.privacy,
          referenceSeed: group.referenceSeed,
          references,
          targets,
          outDir: join(this.paths.dataDir, 'attacks')
        },
        { signal }
      )
      this.store.transaction(() => {
        for (const a of result.attacks ?? []) {
          this.store.runs.putMetrics(a.runId, a.metrics)
          this.store.attackScores.put(a.runId, a.scores)
        }
        this.store.attackScores.clearFailure(taskId, cell)
      })
      for (const a of result.attacks ?? []) this.announce({ taskId, runId: a.runId, status: 'done' })
    } catch (err) {
      // The runs keep their other metrics; the Privacy tab and the report say why this cell has no attack.
      if (!signal.aborted) this.store.attackScores.putFailure(taskId, cell, `The membership attacks failed: ${(err as Error).message}`)
    }
  }
}
