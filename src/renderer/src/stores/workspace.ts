import { defineStore } from 'pinia'
import { computed, onScopeDispose, ref, watch } from 'vue'
import type { TaskSummary } from '@shared/api/contract'
import { formatDuration } from '@shared/format'
import { useAuditStore } from './audit'

/** An audit's runs by status, from its summary (kept current by every change event). */
export function runCounts(task: Pick<TaskSummary, 'counts'> | null) {
  const c = task?.counts ?? {}
  const total = Object.values(c).reduce((a, b) => a + b, 0)
  const finished = (c.done ?? 0) + (c.failed ?? 0) + (c.cancelled ?? 0)
  return { total, finished, done: c.done ?? 0, failed: c.failed ?? 0, running: c.running ?? 0, queued: c.queued ?? 0 }
}

/** What the workspace shows of the selected audit as it runs: its runs by status and the time left, on a clock. */
export const useWorkspaceStore = defineStore('workspace', () => {
  const audit = useAuditStore()
  const now = ref(Date.now())

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

  /** Seconds left at the pace the audit store has seen (the same figure as the Audits page's); null until it can be told. */
  const etaSeconds = computed(() => (audit.selectedTaskId ? audit.etaOf(audit.selectedTaskId, now.value) : null))
  const eta = computed(() => (etaSeconds.value === null ? null : `about ${formatDuration(etaSeconds.value)} left`))
  const counts = computed(() => runCounts(audit.selectedTask))
  /** The share done: the audit store's (the engine's own while it runs), else finished runs over all runs. */
  const fraction = computed(
    () =>
      (audit.selectedTaskId ? audit.fractionOf(audit.selectedTaskId) : null) ??
      (counts.value.total ? counts.value.finished / counts.value.total : 0)
  )

  return { eta, etaSeconds, counts, fraction }
})
