import { PAPER_REMOVAL_THRESHOLD } from '@shared/methods'
import type { MethodInputs } from './context'

export { PAPER_REMOVAL_THRESHOLD }

/**
 * The accuracy on D_f at which removal stops. `auto` asks what a model that never saw D_f would
 * score on it: on corrupted labels or a forgotten class it is mostly wrong, so the paper's γ
 * (PAPER_REMOVAL_THRESHOLD) holds; on random examples of the data it is about as accurate as on
 * unseen data, so the target is the original's held-out accuracy. Pushing random examples down
 * to the paper's γ instead destroys the model (test accuracy 0.85 → 0.39 for REM on an mlp,
 * against 0.84 with the held-out target).
 */
export async function removalThreshold(setting: number | 'auto', ctx: Pick<MethodInputs, 'spec' | 'heldOutAccuracy'>): Promise<number> {
  if (setting !== 'auto') return setting
  return ctx.spec.task.kind === 'random' ? await ctx.heldOutAccuracy() : PAPER_REMOVAL_THRESHOLD
}
