import { describe, expect, it } from 'vitest'
import { ALL_METRICS } from '@shared/metrics/groups'
import { METRIC_NAMES } from '@shared/metrics/names'
import { MetricValues } from '@shared/metrics/value'

describe('metric names', () => {
  it('declare every metric the views and the report describe', () => {
    expect(ALL_METRICS.map((m) => m.key).filter((k) => !(METRIC_NAMES as readonly string[]).includes(k))).toEqual([])
  })

  it('refuse an undeclared name, naming it, and take per-layer names', () => {
    expect(MetricValues.safeParse({ testAccuracy: 0.9, 'resetElements.dense_1/kernel': 12 }).success).toBe(true)
    const bad = MetricValues.safeParse({ testAcuracy: 0.9 })
    expect(bad.success).toBe(false)
    expect(JSON.stringify(bad.error?.issues)).toContain('testAcuracy')
    expect(MetricValues.safeParse({ 'resetElements.': 1 }).success).toBe(false)
  })
})
