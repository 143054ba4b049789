import type { ToastMessageOptions } from 'primevue/toast'
import { useToast } from 'primevue/usetoast'
import { computed, inject, onUnmounted, watchEffect } from 'vue'
import { useRouter } from 'vue-router'
import type { TaskSummary } from '@shared/api/contract'
import { API_CLIENT } from '../api/inject'
import { useAuditStore } from '../stores/audit'

export const APP_NAME = 'Unlearning Audit'

/** The Toast group of the messages that say an audit ended; App.vue renders them with a button that opens the audit. */
export const AUDIT_ENDED_GROUP = 'audit-ended'

/** What a message of that group carries besides its text. */
export interface AuditEndedDetail {
  taskId: string
  text: string
  verdict: string | null
}

/** How an audit's execution ended, from its run counts once it stopped: the message's severity and headline. */
export function auditOutcome(task: TaskSummary): { severity: 'success' | 'info' | 'warn' | 'error'; summary: string; text: string } {
  const n = (status: string) => task.counts[status] ?? 0
  const total = Object.values(task.counts).reduce((a, b) => a + b, 0)
  const done = `${n('done')} of ${total} runs done`
  if (n('queued') + n('interrupted') > 0)
    return { severity: 'info', summary: 'Audit paused', text: `${task.name}: ${done}; resume it from its workspace.` }
  if (n('done') === 0 && n('failed') > 0)
    return { severity: 'error', summary: 'Audit failed', text: `${task.name}: ${n('failed')} runs failed.` }
  if (n('cancelled') > 0)
    return { severity: 'warn', summary: 'Audit cancelled', text: `${task.name}: ${done}, ${n('cancelled')} cancelled.` }
  if (n('failed') > 0)
    return { severity: 'warn', summary: 'Audit finished with failures', text: `${task.name}: ${done}, ${n('failed')} failed.` }
  return { severity: 'success', summary: 'Audit finished', text: `${task.name}: ${done}.` }
}

/**
 * Long work, visible from every page: the window title carries the running audit's progress
 * (`42 % · my audit — Unlearning Audit`), and a toast says when an audit finishes, fails or stops,
 * with a button that opens it. Called once, from App.vue.
 */
export function useAuditNotifications() {
  const api = inject(API_CLIENT)!
  const audit = useAuditStore()
  const toast = useToast()
  const router = useRouter()

  /** The audit the title follows: the selected one if it runs, else the first running one. */
  const running = computed(() => audit.tasks.filter((t) => t.active))
  const followed = computed(() => running.value.find((t) => t.id === audit.selectedTaskId) ?? running.value[0] ?? null)
  const windowTitle = computed(() => {
    const task = followed.value
    if (!task) return APP_NAME
    const percent = Math.floor(100 * Math.min(1, Math.max(0, audit.fractionOf(task.id) ?? 0)))
    const others = running.value.length - 1
    return `${percent} % · ${task.name}${others > 0 ? ` (+${others} running)` : ''} — ${APP_NAME}`
  })
  watchEffect(() => {
    document.title = windowTitle.value
  })

  const off = api.on('audit:changed', (c) => {
    if (c.status !== 'finished') return
    const outcome = auditOutcome(c.task)
    const detail: AuditEndedDetail = { taskId: c.task.id, text: outcome.text, verdict: c.task.verdict }
    toast.add({
      group: AUDIT_ENDED_GROUP,
      severity: outcome.severity,
      summary: outcome.summary,
      detail,
      life: outcome.severity === 'success' || outcome.severity === 'info' ? 10_000 : 20_000
    })
  })
  onUnmounted(off)

  /** The toast's button: opens the audit's workspace and closes the message. */
  function openFromToast(message: ToastMessageOptions): void {
    const { taskId } = message.detail as AuditEndedDetail
    toast.remove(message)
    void router.push({ name: 'overview', params: { id: taskId } })
  }

  return { windowTitle, openFromToast }
}
