import { z } from 'zod'

/**
 * How much privacy evidence an audit buys: K reference models for the membership attacks, R
 * retrained models per cell for the retrain band and U-LiRA, and how many forget samples are
 * attacked (against as many held-out test samples). Absent from a spec: no per-example attacks.
 */
export const PrivacySettingsSchema = z
  .object({
    referenceModels: z
      .number()
      .int()
      .min(2)
      .max(256)
      .refine((k) => k % 2 === 0, 'an even number: reference models come in pairs trained on complementary halves')
      .default(8),
    retrains: z.number().int().min(1).max(16).default(3),
    attackSize: z.number().int().min(20).max(20000).default(500)
  })
  .strict()
export type PrivacySettings = z.output<typeof PrivacySettingsSchema>

export const PRIVACY_TIERS = {
  cheap: { referenceModels: 4, retrains: 2, attackSize: 300 },
  standard: { referenceModels: 8, retrains: 3, attackSize: 500 },
  rigorous: { referenceModels: 64, retrains: 3, attackSize: 1000 }
} as const satisfies Record<string, PrivacySettings>
export type PrivacyTier = keyof typeof PRIVACY_TIERS

export const PRIVACY_TIER_LABELS: Record<PrivacyTier, string> = {
  cheap: 'Cheap (K = 4, R = 2)',
  standard: 'Standard (K = 8, R = 3)',
  rigorous: 'Rigorous (K = 64, R = 3)'
}

/** The tier a setting matches exactly, or null for custom values. */
export function tierOf(p: PrivacySettings): PrivacyTier | null {
  const match = Object.entries(PRIVACY_TIERS).find(
    ([, t]) => t.referenceModels === p.referenceModels && t.retrains === p.retrains && t.attackSize === p.attackSize
  )
  return (match?.[0] as PrivacyTier | undefined) ?? null
}
