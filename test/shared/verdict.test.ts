import { describe, expect, it } from 'vitest'
import type { RunRecord } from '@shared/api/contract'
import { writeVerdict } from '@shared/verdict'
import { runRecord } from '../helpers/run-record'

const run = (method: string, seed: number, metrics: RunRecord['metrics'], status: RunRecord['status'] = 'done') =>
  runRecord(method, seed, metrics, { status })
const poison = { kind: 'corrupted', corruption: 'poison', corruptedCount: 50, discoveryRate: 0.5 }

describe('the verdict', () => {
  it('names the best method by Utility × Healed, quotes attack success before → after, the utility cost, and where retraining landed', () => {
    const runs = [
      run('original', 0, { attackSuccessRate: 0.97, utility: 0.9, utilityTimesHealed: 0.1 }),
      run('retrain', 0, { attackSuccessRate: 0.91, utility: 0.89, utilityTimesHealed: 0.2 }),
      run('rem', 0, { attackSuccessRate: 0.02, utility: 0.885, utilityTimesHealed: 0.8 }),
      run('rem', 1, { attackSuccessRate: 0.04, utility: 0.891, utilityTimesHealed: 0.82 }),
      run('finetune', 0, { attackSuccessRate: 0.5, utility: 0.91, utilityTimesHealed: 0.5 })
    ]
    expect(writeVerdict(runs, poison)).toBe(
      'REM removed the poison trigger (Attack success 0.97 → 0.03) at 1.2 points of utility; retraining on the known data reached 0.91 and did not remove it. It ranked first of 2 methods by Utility × Healed.'
    )
  })

  it('says "reduced" when the trigger only halved, n = 1 for a mean on one run, and counts the runs that did not finish', () => {
    const runs = [
      run('original', 0, { attackSuccessRate: 0.8, utility: 0.9, utilityTimesHealed: 0.1 }),
      run('finetune', 0, { attackSuccessRate: 0.35, utility: 0.92, utilityTimesHealed: 0.4 }),
      run('rem', 0, {}, 'failed'),
      run('retrain', 0, {}, 'cancelled')
    ]
    const text = writeVerdict(runs, poison)
    expect(text).toMatch(
      /^Finetune on retain reduced the poison trigger \(Attack success 0\.80 → 0\.35, n = 1\) with no loss of utility \(\+2\.0 points\); no retrain run to compare with\./
    )
    expect(text).toMatch(/2 of 4 runs failed or were stopped; they are listed in the appendix\.$/)
  })

  it('judges class forgetting against retraining and ranks by ToW', () => {
    const task = { kind: 'class', classes: [3] }
    const runs = [
      run('original', 0, { forgetAccuracy: 0.95, testAccuracy: 0.9 }),
      run('retrain', 0, { forgetAccuracy: 0, testAccuracy: 0.88, tow: 1 }),
      run('ssd', 0, { forgetAccuracy: 0.4, testAccuracy: 0.89, tow: 0.5 }),
      run('scrub', 0, { forgetAccuracy: 0.03, testAccuracy: 0.87, tow: 0.9 })
    ]
    expect(writeVerdict(runs, task)).toMatch(
      /^SCRUB forgot, like retraining, the forgotten class \(Forget accuracy 0\.95 → 0\.03, n = 1\) at 3\.0 points of test accuracy; retraining without the forget set reached 0\.00\./
    )
    runs[3] = run('scrub', 0, { forgetAccuracy: 0.3, testAccuracy: 0.87, tow: 0.9 })
    expect(writeVerdict(runs, task)).toMatch(/^SCRUB did not forget, as retraining does, the forgotten class/)
  })

  it('says when the trigger went with the target class: attack success is 0 once the class is never predicted', () => {
    const runs = [
      run('original', 0, { attackSuccessRate: 0.98, utility: 0.83, utilityTimesHealed: 0.02, targetClassAccuracy: 0.78 }),
      run('rem', 0, { attackSuccessRate: 0, utility: 0.78, utilityTimesHealed: 0.48, targetClassAccuracy: 0 })
    ]
    expect(writeVerdict(runs, poison)).toContain(
      "But it lost the target class with it: test accuracy on the target class's own images fell from 0.78 to 0.00."
    )
    // A method that keeps the class is not flagged.
    runs[1] = run('rem', 0, { attackSuccessRate: 0, utility: 0.82, utilityTimesHealed: 0.7, targetClassAccuracy: 0.7 })
    expect(writeVerdict(runs, poison)).not.toContain('lost the target class')
  })

  it('has nothing to conclude when no method finished', () => {
    expect(writeVerdict([run('original', 0, { testAccuracy: 0.9 }), run('rem', 0, {}, 'failed')], poison)).toBe(
      'No unlearning method finished, so there is nothing to conclude. 1 of 2 runs failed or were stopped; they are listed in the appendix.'
    )
  })
})
