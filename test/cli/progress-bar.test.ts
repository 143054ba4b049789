import { describe, expect, it } from 'vitest'
import type { Phase, ProgressEvent } from '@shared/api/contract'
import { progressLine } from '@main/cli/progress-bar'
import { formatDuration } from '@shared/format'

const job = (method: string, fraction: number, phase: Phase = 'unlearning'): ProgressEvent => ({
  taskId: 't',
  runId: method,
  method,
  seed: 0,
  phase,
  fraction,
  auditFraction: 0,
  detail: ''
})

describe('terminal progress line', () => {
  it('fill the bar by the audit share, name every job in flight, and extrapolate the ETA from the time so far', () => {
    const line = progressLine(0.25, [job('finetune', 0.5), job('original', 0.1, 'training')], 60, 200)
    expect(line.startsWith(`[${'#'.repeat(6)}${'-'.repeat(18)}]  25%`)).toBe(true)
    expect(line).toContain('ETA 3 min')
    expect(line).toContain('finetune/0 unlearning 50%')
    expect(line).toContain('original/0 training 10%')
  })

  it('leave the ETA out until there is progress to extrapolate from, and fit the terminal width', () => {
    expect(progressLine(0, [], 5, 200)).not.toContain('ETA')
    const narrow = progressLine(0.5, [job('finetune', 0.5)], 10, 40)
    expect(narrow).toHaveLength(40)
    expect(narrow.endsWith('…')).toBe(true)
  })

  it('read durations in the unit a person would use', () => {
    expect(formatDuration(42)).toBe('42 s')
    expect(formatDuration(600)).toBe('10 min')
    expect(formatDuration(3 * 3600)).toBe('3.0 h')
  })
})
