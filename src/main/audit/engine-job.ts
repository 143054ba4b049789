import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { cellJobTask } from '@shared/sweep'
import type { TaskSpec } from '@shared/task-spec'
import type { Job } from '../engine/protocol'
import type { GivenOriginal } from './audit-inputs'
import { ORIGINAL, REFERENCE, type PlanGroup, type PlannedStep } from './plan'
import type { RecordedModel } from './run-recorder'

export interface JobInputs {
  spec: TaskSpec
  group: PlanGroup
  step: PlannedStep
  /** The original the step starts from; null for the original itself. */
  original: RecordedModel | null
  /** A model already made for this step (the cache, or a given original measured as it is). */
  existingDir: string | null
  given: GivenOriginal | null
  paths: { resourcesDir: string; dataDir: string }
  outDir: string
  /** For a method the audit tunes: its settings, objective and the retrain's accuracies (ToW). */
  tuning?: Extract<Job, { kind: 'unlearn' }>['tuning']
}

/**
 * The engine job for one planned step: measure a model that exists already, train the original
 * (from scratch, or a given model fine-tuned with codes), or run a method from the original.
 */
export function engineJob(i: JobInputs): Job {
  const base = {
    resourcesDir: i.paths.resourcesDir,
    dataDir: i.paths.dataDir,
    spec: cellJobTask(i.spec, i.group.cell),
    seed: i.group.seed,
    outDir: i.outDir
  }
  if (i.existingDir && existsSync(i.existingDir))
    return { ...base, kind: 'evaluate', modelDir: resolve(i.existingDir), originalDir: i.original?.dir ?? null }
  if (i.step.method === ORIGINAL)
    return { ...base, kind: 'train-original', ...(i.given?.use === 'fine-tune' ? { startDir: i.given.dir } : {}) }
  if (!i.original) throw new Error(`${i.step.method} has no original model to start from`)
  if (i.step.method === REFERENCE)
    return { ...base, kind: 'train-reference', referenceSeed: i.group.referenceSeed, index: i.step.replica!, originalDir: i.original.dir }
  return {
    ...base,
    kind: 'unlearn',
    method: { id: i.step.method, params: i.step.params },
    originalDir: i.original.dir,
    ...(i.step.replica ? { replica: i.step.replica } : {}),
    ...(i.tuning ? { tuning: i.tuning } : {})
  }
}
