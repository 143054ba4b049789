import type { RunRecord } from '@shared/api/contract'
import { RETRAIN_BAND_RULE } from '@shared/privacy/retrain-band'
import { threatModel } from '@shared/privacy/threat-model'
import { type Block, cellLabel, note, sectionHeader, subHeader } from '../blocks'
import { attackTable, valueOf } from '../privacy/attack-table'
import { groupFigures } from '../privacy/group-figures'
import type { PrivacyInput } from '../privacy/privacy-input'
import { selfTestBlocks } from '../privacy/self-test'

export const NO_PRIVACY_NOTE =
  'Per-example membership attacks (LiRA, RMIA, U-LiRA) were not run for this audit. To run them, add "privacy": { "referenceModels": 8, "retrains": 3, "attackSize": 500 } to the task spec (the standard tier) and run the audit again.'

/** What the attacks rest on, from the runs: how many reference models and attacked samples. */
function scope(runs: RunRecord[], p: PrivacyInput): string {
  const attacked = runs.find((r) => valueOf(r, 'attackSamples') !== null)
  const k = valueOf(attacked, 'attackReferenceModels')
  const n = valueOf(attacked, 'attackSamples')
  const measured = attacked
    ? `; measured with ${k} reference models and ${n} forget samples against ${n} test samples`
    : '; no model was attacked'
  return `Asked for: ${p.settings.referenceModels} reference models, ${p.settings.retrains} retrains per cell and seed, up to ${p.settings.attackSize} attacked samples${measured}. Reference models and extra retrains are evidence, not compared methods: they are left out of the results above and listed in the runs appendix.`
}

/** The privacy evidence: threat model, each model's attack readings against the retrain band, the self-test, and charts. */
export function privacySection(runs: RunRecord[], privacy: PrivacyInput | null): Block[] {
  if (!privacy) return [sectionHeader('Privacy evidence'), { text: NO_PRIVACY_NOTE }]
  const more = privacy.groups.length - privacy.charted.length
  return [
    sectionHeader('Privacy evidence', { pageBreak: true }),
    note(scope(runs, privacy)),
    subHeader('Threat model'),
    { ul: threatModel(privacy.settings), margin: [0, 0, 0, 4] },
    subHeader('Membership attacks per cell and seed'),
    note(
      'Each value with its 95 % interval beneath it, then its mark: "within" when it lies within retrain (the band of the retrains of the same cell and seed, by the rule under the table), "outside" when it does not, "no band" when no retrain has the metric (a retrain’s U-LiRA is read against two other retrains, so it needs 3).'
    ),
    attackTable(runs, privacy.groups),
    note(RETRAIN_BAND_RULE),
    ...privacy.failures.map((f) => note(`Not attacked: ${cellLabel(f.cellKey) || 'the task'}, seed ${f.seed}. ${f.error}`)),
    ...selfTestBlocks(runs, privacy.groups, privacy.settings),
    ...(more > 0
      ? [
          note(
            `Charts and samples follow for the first ${privacy.charted.length} of ${privacy.groups.length} cell and seed pairs; the table above lists every one, and the app’s Privacy tab charts any of them.`
          )
        ]
      : []),
    ...privacy.charted.flatMap((g) => groupFigures(runs, g))
  ]
}
