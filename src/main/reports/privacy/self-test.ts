import type { RunRecord } from '@shared/api/contract'
import type { PrivacySettings } from '@shared/privacy/settings'
import { isAuditRun } from '@shared/run-filter'
import { type Block, cellLabel, note, subHeader, table } from '../blocks'
import { intervalOf, valueOf, withInterval } from './attack-table'

/** U-LiRA's self-test holds one retrain out and reads it against at least two others. */
export const SELF_TEST_RETRAINS = 3

const EXPLAINED =
  'The calibration control: the audit’s retrain is held out from the other retrains and read by U-LiRA as if it were a method. A calibrated test reads 0.5 (0.5 inside its interval); an interval that excludes 0.5 means U-LiRA is off for that cell and seed, and its U-LiRA values should not be trusted there.'

function verdict(value: number | null, ci: [number, number] | null): string {
  if (value === null) return 'not measured'
  if (!ci) return 'no interval'
  return ci[0] <= 0.5 && ci[1] >= 0.5 ? 'reads 0.5: calibrated' : '0.5 outside the interval: not calibrated'
}

/** The self-test of each cell and seed, or why it was not run. */
export function selfTestBlocks(runs: RunRecord[], groups: Array<{ cellKey: string; seed: number }>, settings: PrivacySettings): Block[] {
  const head = [subHeader('U-LiRA self-test'), note(EXPLAINED)]
  if (settings.retrains < SELF_TEST_RETRAINS)
    return [
      ...head,
      {
        text: `Not run: the self-test needs ${SELF_TEST_RETRAINS} retrains (one held out, read against the others); this audit has ${settings.retrains} (privacy.retrains = ${settings.retrains}). With ${settings.retrains} retrains U-LiRA's calibration is unchecked.`
      }
    ]
  const rows = groups.map((g) => {
    const retrain = runs.find((r) => isAuditRun(r) && r.method === 'retrain' && r.cellKey === g.cellKey && r.seed === g.seed)
    const value = valueOf(retrain, 'uliraSelfTest')
    const ci = intervalOf(retrain, 'uliraSelfTest')
    return [`${g.cellKey ? `${cellLabel(g.cellKey)}, ` : ''}seed ${g.seed}`, withInterval(value, ci), verdict(value, ci)]
  })
  return [...head, table(['Cell, seed', 'Self-test [95 % interval]', 'Reading'], rows, [110, 130, '*'])]
}
