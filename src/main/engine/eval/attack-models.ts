import * as tf from '@tensorflow/tfjs'
import { type AttackLayout, attackModel, fitReferences, type ModelSignals, type ReferenceSignals, uliraOf } from '@shared/privacy/attacks'
import { intervalKey } from '@shared/metrics/names'
import type { MetricValue } from '@shared/metrics/value'
import type { PrivacySettings } from '@shared/privacy/settings'
import { referenceHalf } from '../data/reference-halves'
import { loadModel } from '../model/model-files'
import type { JobResult } from '../protocol'
import type { TensorSplit } from '../train/tensor-data'
import { createRng, hashSeed, shuffled } from '../util/random'
import { membershipSignals } from './membership-signals'

/** RMIA's population: test samples outside the attack, at most this many. */
const POPULATION_LIMIT = 2000

export interface AttackSamples {
  layout: AttackLayout
  /** Training indices of the attacked forget samples (members). */
  members: Int32Array
  /** Test indices of the non-members, then of the population. */
  nonMembers: Int32Array
  population: Int32Array
}

/**
 * Which samples are attacked, seeded: up to `attackSize` forget samples (members of the original),
 * as many test samples as non-members, and other test samples as RMIA's population.
 */
export function chooseAttackSamples(forget: Int32Array, testCount: number, attackSize: number, seed: number): AttackSamples {
  const size = Math.min(attackSize, forget.length, Math.floor(testCount / 2))
  const members = Int32Array.from(shuffled(forget, createRng(hashSeed(seed, 'attack-members'))).slice(0, size)).sort()
  const test = shuffled(
    Int32Array.from({ length: testCount }, (_, i) => i),
    createRng(hashSeed(seed, 'attack-test'))
  )
  const nonMembers = Int32Array.from(test.slice(0, size)).sort()
  const population = Int32Array.from(test.slice(size, size + POPULATION_LIMIT)).sort()
  return { layout: { members: size, nonMembers: size, population: population.length }, members, nonMembers, population }
}

export interface AttackTarget {
  runId: string
  dir: string
  retrain: boolean
  replica: number | null
}

/** What the attack job reports per target: its privacy metrics and per-example scores. */
export type AttackFinding = NonNullable<JobResult['attacks']>[number]

/** Every attacked sample as one tensor, with its labels as trained: members from the training split, the rest from test. */
function attackInputs(samples: AttackSamples, train: TensorSplit, test: TensorSplit): { x: tf.Tensor; labels: Int32Array } {
  const testIdx = Int32Array.from([...samples.nonMembers, ...samples.population])
  const x = tf.tidy(() => tf.concat([tf.gather(train.x, samples.members), tf.gather(test.x, testIdx)]))
  const labels = Int32Array.from([...Array.from(samples.members, (i) => train.labels[i]!), ...Array.from(testIdx, (i) => test.labels[i]!)])
  return { x, labels }
}

async function signalsOf(
  dir: string,
  x: tf.Tensor,
  labels: Int32Array
): Promise<{ signals: ModelSignals; metadata: Record<string, unknown> }> {
  const { model, metadata } = await loadModel(dir)
  try {
    return { signals: await membershipSignals(model, x, labels), metadata }
  } finally {
    model.dispose()
  }
}

/**
 * The attacks of one cell and seed. Reference models are checked against the half they must have
 * trained on (their files record it), then LiRA and RMIA run on every target, and U-LiRA on every
 * target against the retrains (a retrain against the others: the audit's retrain so read is the self-test).
 */
export async function attackCell(
  input: {
    references: Array<{ index: number; dir: string }>
    targets: AttackTarget[]
    privacy: PrivacySettings
    forget: Int32Array
    train: TensorSplit
    test: TensorSplit
    seed: number
    /** The seed the reference models' halves derive from. */
    referenceSeed: number
  },
  progress: (fraction: number, detail: string) => void
): Promise<AttackFinding[]> {
  const samples = chooseAttackSamples(input.forget, input.test.count, input.privacy.attackSize, input.seed)
  if (samples.layout.members < 2) throw new Error('The membership attacks need at least 2 forget samples and 4 test samples')
  const { x, labels } = attackInputs(samples, input.train, input.test)
  const total = input.references.length + input.targets.length
  try {
    const refs: ReferenceSignals[] = []
    for (const [k, ref] of input.references.entries()) {
      progress(k / total, `reference model ${k + 1} of ${input.references.length}`)
      const { signals, metadata } = await signalsOf(ref.dir, x, labels)
      const half = referenceHalf(input.train.count, input.referenceSeed, ref.index)
      const recorded = (metadata.reference as { sha256?: string } | undefined)?.sha256
      if (recorded !== half.sha256)
        throw new Error(`Reference model ${ref.index} (${ref.dir}) was not trained on the half of the pool this audit expects`)
      refs.push({ ...signals, index: ref.index, trainedOn: Uint8Array.from(samples.members, (i) => half.trainedOn[i]!) })
    }
    const fits = fitReferences(refs, samples.layout)
    const targets: Array<AttackTarget & { signals: ModelSignals }> = []
    for (const [k, t] of input.targets.entries()) {
      progress((refs.length + k) / total, `attacking model ${k + 1} of ${input.targets.length}`)
      targets.push({ ...t, signals: (await signalsOf(t.dir, x, labels)).signals })
    }
    const memberPhi = (s: ModelSignals) => s.phi.slice(0, samples.layout.members)
    const retrains = targets.filter((t) => t.retrain)
    const findings = targets.map((t, k): AttackFinding => {
      const attack = attackModel(t.signals, fits, hashSeed(input.seed, `attack-bootstrap-${k}`))
      // A retrain is read against the other retrains; every other model against all of them.
      const band = retrains.filter((r) => r.runId !== t.runId).map((r) => memberPhi(r.signals))
      const u = uliraOf(band, memberPhi(t.signals), hashSeed(input.seed, `ulira-bootstrap-${k}`))
      // The self-test: the audit's retrain, held out from the others and read as if it were a method.
      const selfTest: Record<string, MetricValue> =
        t.retrain && t.replica === null && u.metrics.ulira !== undefined
          ? { uliraSelfTest: u.metrics.ulira, [intervalKey('uliraSelfTest')]: u.metrics[intervalKey('ulira')] ?? null }
          : {}
      return {
        runId: t.runId,
        metrics: { ...attack.metrics, ...u.metrics, ...selfTest },
        scores: {
          members: Array.from(samples.members),
          nonMembers: Array.from(samples.nonMembers),
          lira: attack.lira,
          rmia: attack.rmia,
          ulira: u.distances
        }
      }
    })
    progress(1, 'attacks done')
    return findings
  } finally {
    x.dispose()
  }
}
