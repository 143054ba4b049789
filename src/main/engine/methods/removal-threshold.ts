import type { MethodContext } from './context'

/** The REM paper's γ (after Potion): D_f counts as removed once it is at most this accurate. */
export const PAPER_REMOVAL_THRESHOLD = 0.2

/**
 * The accuracy on D_f at which removal stops. `auto` asks what a model that never saw D_f would
 * score on it: on corrupted labels or a forgotten class it is mostly wrong, so the paper's 0.2 holds;
 * on random examples of the data it is about as accurate as on unseen data, so the target is the
 * original's held-out accuracy. Pushing random examples down to 0.2 instead destroys the model
 * (test accuracy 0.85 → 0.39 for REM on an mlp, against 0.84 with the held-out target).
 */
export async function removalThreshold(setting: number | 'auto', ctx: Pick<MethodContext, 'spec' | 'heldOutAccuracy'>): Promise<number> {
  if (setting !== 'auto') return setting
  return ctx.spec.task.kind === 'random' ? await ctx.heldOutAccuracy() : PAPER_REMOVAL_THRESHOLD
}
