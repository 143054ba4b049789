import type { RunRecord } from '@shared/api/contract'

type Replicated = Pick<RunRecord, 'method' | 'replica'>

/** A model of the privacy evidence in a few words ("reference 3", "retrain, band 2"); null for the audit's own runs. */
export function replicaLabel(run: Replicated): string | null {
  if (run.replica === null) return null
  return run.method === 'reference' ? `reference ${run.replica}` : `${run.method}, band ${run.replica}`
}

/** What such a model is for, for a tooltip: it is trained for the attacks and never compared in the other views. */
export function replicaTitle(run: Replicated): string {
  if (run.replica === null) return ''
  return run.method === 'reference'
    ? `Reference model ${run.replica} of the membership attacks (privacy evidence): not compared in the other views`
    : `Extra retrain ${run.replica} of the retrain band (privacy evidence): not compared in the other views`
}

/** A run's name in a picker or legend: its method, or what it is of the privacy evidence. */
export const runName = (run: Replicated): string => replicaLabel(run) ?? run.method
