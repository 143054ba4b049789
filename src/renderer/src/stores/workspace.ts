import { defineStore } from 'pinia'
import { computed, onScopeDispose, ref, watch } from 'vue'
import { formatDuration } from '@shared/format'
import { useAuditStore } from './audit'

/**
 * What the workspace derives from the audit as it runs: the runs counted by status and the time
 * left, from the audit's pace since this window first saw it progress.
 */
export const useWorkspaceStore = defineStore('workspace', () => {
  const audit = useAuditStore()
  const now = ref(Date.now())
  /** The audit's progress when first seen and now: the pace an ETA is drawn from. */
  const pace = ref<{ taskId: string; t0: number; f0: number; f: number } | null>(null)

  watch(
    () => audit.progress,
    (p) => {
      if (!p) {
        pace.value = null
        return
      }
      const seen = pace.value
      if (!seen || seen.taskId !== p.taskId || p.auditFraction < seen.f0)
        pace.value = { taskId: p.taskId, t0: Date.now(), f0: p.auditFraction, f: p.auditFraction }
      else seen.f = p.auditFraction
    }
  )

  // A clock for the ETA, ticking only while something runs.
  let timer: ReturnType<typeof setInterval> | null = null
  watch(
    () => audit.running,
    (running) => {
      if (running && !timer) timer = setInterval(() => (now.value = Date.now()), 1000)
      if (!running && timer) {
        clearInterval(timer)
        timer = null
      }
    },
    { immediate: true }
  )
  onScopeDispose(() => timer && clearInterval(timer))

  /** Seconds left at the pace so far; null until there is a pace to go on. */
  const etaSeconds = computed((): number | null => {
    const p = pace.value
    if (!audit.running || !p || p.taskId !== audit.selectedTaskId) return null
    const elapsed = (now.value - p.t0) / 1000
    const done = p.f - p.f0
    if (elapsed < 3 || done < 0.005) return null
    return (elapsed / done) * (1 - p.f)
  })
  const eta = computed(() => (etaSeconds.value === null ? null : `about ${formatDuration(etaSeconds.value)} left`))

  /** The selected audit's runs by status, from its summary (kept current by every change event). */
  const counts = computed(() => {
    const c = audit.selectedTask?.counts ?? {}
    const total = Object.values(c).reduce((a, b) => a + b, 0)
    const finished = (c.done ?? 0) + (c.failed ?? 0) + (c.cancelled ?? 0)
    return { total, finished, done: c.done ?? 0, failed: c.failed ?? 0, running: c.running ?? 0, queued: c.queued ?? 0 }
  })
  /** The audit's fraction done: the engine's own while it runs, else finished runs over all runs. */
  const fraction = computed(() =>
    audit.running && audit.progress ? audit.progress.auditFraction : counts.value.total ? counts.value.finished / counts.value.total : 0
  )

  return { eta, etaSeconds, counts, fraction }
})
