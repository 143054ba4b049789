import type { AttackScores, PrivacyScores, RunRecord, TaskSummary } from '@shared/api/contract'
import type { PrivacySettings } from '@shared/privacy/settings'
import { isAuditRun } from '@shared/run-filter'
import { privacyScores } from '../../audit/privacy-scores'
import type { DatasetRoots } from '../../engine/data/catalog'
import type { AuditStore } from '../../store/audit-store'

/** A sweep's table lists every cell and seed; charts and samples only for this many, so the report stays readable. */
export const CHARTED_GROUPS = 3
/** The most exposed forget samples shown per model. */
export const EXPOSED_PER_RUN = 4

/** The images of a group's most exposed forget samples, as trained (trigger on for poison). */
export type GroupImages = Pick<PrivacyScores, 'inputShape' | 'classNames' | 'samples'> | { unavailable: string }

/** One cell and seed that gets charts: its per-example scores, and the images once loaded. */
export interface PrivacyGroupInput {
  cellKey: string
  seed: number
  /** Per-example scores of the group's runs that have any (the audit's and the band's extra retrains), by run id. */
  scores: Record<string, AttackScores>
  /** Null until `loadImages` has run. */
  images: GroupImages | null
}

export interface PrivacyInput {
  settings: PrivacySettings
  /** Every cell and seed of the audit, in its order (the table's rows). */
  groups: Array<{ cellKey: string; seed: number }>
  /** Why the attacks of a cell and seed did not run, for those where they did not. */
  failures: Array<{ cellKey: string; seed: number; error: string }>
  /** The first CHARTED_GROUPS of them, with their scores. */
  charted: PrivacyGroupInput[]
  /**
   * Reads the thumbnails' pixels from the dataset (asynchronous, unlike the rest of the gathering);
   * the renderer calls it just before layout. Never rejects: a missing dataset becomes `unavailable`.
   */
  loadImages: (() => Promise<GroupImages[]>) | null
}

/** The audit's cells and seeds in run order, one entry each (from its originals). */
export function privacyGroups(runs: RunRecord[]): Array<{ cellKey: string; seed: number }> {
  const seen = new Map<string, { cellKey: string; seed: number }>()
  for (const r of runs)
    if (isAuditRun(r) && r.method === 'original') seen.set(`${r.cellKey}|${r.seed}`, { cellKey: r.cellKey, seed: r.seed })
  return [...seen.values()]
}

/** What the privacy section needs from the store, or null when the audit ran no attacks. */
export function gatherPrivacy(store: AuditStore, task: TaskSummary, runs: RunRecord[], roots: DatasetRoots | null): PrivacyInput | null {
  const settings = task.spec.privacy
  if (!settings) return null
  const groups = privacyGroups(runs)
  const charted = groups.slice(0, CHARTED_GROUPS).map((g) => {
    const ids = runs.filter((r) => r.cellKey === g.cellKey && r.seed === g.seed).map((r) => r.id)
    return { ...g, scores: Object.fromEntries(store.attackScores.forRuns(ids)), images: null }
  })
  const loadImages = async (): Promise<GroupImages[]> => {
    const out: GroupImages[] = []
    for (const g of charted) {
      if (!roots) {
        out.push({ unavailable: 'the dataset folders are not known to this export' })
        continue
      }
      try {
        const q = { taskId: task.id, cellKey: g.cellKey, seed: g.seed, exposedPerRun: EXPOSED_PER_RUN }
        const { inputShape, classNames, samples } = await privacyScores(store, roots, q)
        out.push({ inputShape, classNames, samples })
      } catch (err) {
        // An imported audit may name a dataset this copy does not have: the numbers still print.
        out.push({ unavailable: (err as Error).message })
      }
    }
    return out
  }
  const failures = groups.flatMap((g) => {
    const error = store.attackScores.failureOf(task.id, g)
    return error ? [{ ...g, error }] : []
  })
  return { settings, groups, failures, charted, loadImages: charted.length ? loadImages : null }
}

/** The input with the thumbnails' images in place, ready for a synchronous layout. */
export async function withPrivacyImages(privacy: PrivacyInput | null): Promise<PrivacyInput | null> {
  if (!privacy?.loadImages) return privacy
  const images = await privacy.loadImages()
  return { ...privacy, charted: privacy.charted.map((g, k) => ({ ...g, images: images[k] ?? null })), loadImages: null }
}
