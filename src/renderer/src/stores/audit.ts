import { defineStore } from 'pinia'
import { computed, inject, ref, shallowRef, triggerRef } from 'vue'
import type {
  AuditEstimate,
  Catalog,
  DrillDown,
  EventPayload,
  ProgressEvent,
  RunRecord,
  TaskPreview,
  TaskSummary
} from '@shared/api/contract'
import type { TaskSpecInput } from '@shared/task-spec'
import { API_CLIENT } from '../api/inject'

/** Puts `item` in place of the record with its id, or adds it at the start or the end of the list. */
function upsertById<T extends { id: string }>(list: T[], item: T, add: 'first' | 'last'): void {
  const at = list.findIndex((x) => x.id === item.id)
  if (at >= 0) list[at] = item
  else if (add === 'first') list.unshift(item)
  else list.push(item)
}

/** Whether `runs` hold as many runs in each status as the audit's counts say. */
function countsAgree(runs: RunRecord[], counts: Record<string, number>): boolean {
  const held: Record<string, number> = {}
  for (const r of runs) held[r.status] = (held[r.status] ?? 0) + 1
  return [...new Set([...Object.keys(held), ...Object.keys(counts)])].every((status) => (held[status] ?? 0) === (counts[status] ?? 0))
}

/** The audit being set up, run and read: catalog, past audits, the selected audit's runs, live progress. */
export const useAuditStore = defineStore('audit', () => {
  const api = inject(API_CLIENT)!
  const catalog = ref<Catalog | null>(null)
  const tasks = ref<TaskSummary[]>([])
  const selectedTaskId = ref<string | null>(null)
  // Shallow: an audit may hold 10,000 runs, and deep proxies on every record make each view that reads them slow.
  // A record is replaced whole (never edited in place), and the list is triggered by hand when one is.
  const runs = shallowRef<RunRecord[]>([])
  /** The audit whose runs `runs` holds: the selected one, once its runs have arrived. */
  let runsTaskId: string | null = null
  /** The audit whose runs are being read again after an event. */
  let rereading: string | null = null
  const progress = ref<ProgressEvent | null>(null)
  /** Runs in flight, by run id: the latest progress and when the run was first seen, for an ETA. */
  const jobs = ref<Record<string, { event: ProgressEvent; since: number }>>({})
  const running = ref(false)
  const error = ref<string | null>(null)
  const report = ref<{ path: string; sha256: string; bytes: number } | null>(null)
  const bundle = ref<{ path: string; sha256: string; bytes: number } | null>(null)
  const preview = ref<TaskPreview | null>(null)
  const estimate = ref<AuditEstimate | null>(null)
  const drillDown = ref<{ runId: string; data: DrillDown } | null>(null)
  /**
   * Every executing audit's progress, by audit id, whether selected or not (the audit list, the
   * window title): the latest fraction of the whole audit, and the first fraction seen with its time, for an ETA.
   */
  const live = ref<Record<string, { fraction: number; at: number; firstFraction: number; since: number }>>({})

  const selectedTask = computed(() => tasks.value.find((t) => t.id === selectedTaskId.value) ?? null)

  async function guarded<T>(work: () => Promise<T>): Promise<T | undefined> {
    error.value = null
    try {
      return await work()
    } catch (err) {
      error.value = (err as Error).message
      return undefined
    }
  }

  /** Reads an audit's runs; a reply for an audit no longer selected is dropped. */
  async function loadRuns(taskId: string): Promise<void> {
    const list = await api.call('audits:runs', { taskId })
    if (taskId !== selectedTaskId.value) return
    runs.value = list
    runsTaskId = taskId
  }

  /**
   * Reads an audit's runs again after an event; once for a burst of events: the reply holds every
   * change whose event came before it (one connection, in order), and the ones after patch it.
   */
  function reread(taskId: string): void {
    if (rereading === taskId) return
    rereading = taskId
    void guarded(() => loadRuns(taskId)).finally(() => {
      if (rereading === taskId) rereading = null
    })
  }

  async function refresh(): Promise<void> {
    tasks.value = await api.call('audits:list', {})
    if (selectedTaskId.value) await loadRuns(selectedTaskId.value)
  }

  /**
   * A run's status changed, or an audit finished: the event carries the audit's summary and the run's
   * record, which replace theirs in the lists. Nothing is read again except where an event cannot say
   * what changed (below).
   */
  function applyChange(c: EventPayload<'audit:changed'>): void {
    // Every audit's counts move, the selected one or not; an audit not listed yet (just started) is the newest.
    upsertById(tasks.value, c.task, 'first')
    if (c.status === 'finished') delete live.value[c.taskId]
    if (c.taskId !== selectedTaskId.value) return
    running.value = c.task.active
    if (c.runId && c.status !== 'running') delete jobs.value[c.runId]
    if (c.status === 'finished') jobs.value = {}
    // Runs still on their way include this change: the server read them after it.
    if (c.taskId !== runsTaskId) return
    if (c.run) {
      upsertById(runs.value, c.run, 'last')
      triggerRef(runs)
    }
    // The retrain comparisons (src/main/audit/retrain-comparison.ts) write into the metrics of runs
    // other than the one an event names: once the audit has finished, its runs are read again, once.
    if (c.status === 'finished') reread(c.taskId)
    // Some changes come without an event of their own (the queued runs of a cell whose original
    // failed, ended together): the audit's counts then disagree with the runs held, which are read again.
    else if (!countsAgree(runs.value, c.task.counts)) reread(c.taskId)
  }

  async function init(): Promise<void> {
    api.on('audit:progress', (p) => {
      const seen = live.value[p.taskId]
      live.value[p.taskId] = {
        fraction: p.auditFraction,
        at: Date.now(),
        firstFraction: seen?.firstFraction ?? p.auditFraction,
        since: seen?.since ?? Date.now()
      }
      if (p.taskId !== selectedTaskId.value) return
      progress.value = p
      jobs.value[p.runId] = { event: p, since: jobs.value[p.runId]?.since ?? Date.now() }
    })
    api.on('audit:changed', applyChange)
    await guarded(async () => {
      await loadCatalog()
      await refresh()
    })
  }

  /** Again after an import: the catalog lists the imported datasets too. */
  async function loadCatalog(): Promise<void> {
    catalog.value = await api.call('catalog:get', {})
  }

  async function start(spec: TaskSpecInput): Promise<void> {
    await guarded(async () => {
      report.value = null
      progress.value = null
      const { taskId } = await api.call('audits:start', { spec })
      selectedTaskId.value = taskId
      running.value = true
      await refresh()
    })
  }

  async function showPreview(spec: TaskSpecInput): Promise<void> {
    preview.value = (await guarded(() => api.call('tasks:preview', { spec, count: 8 }))) ?? null
  }

  /** The form's spec changed: price it. A spec still being typed is often invalid; that is not an error to show. */
  async function estimateFor(spec: TaskSpecInput): Promise<void> {
    try {
      estimate.value = await api.call('audits:estimate', { spec })
    } catch {
      estimate.value = null
    }
  }

  /** A run's corrupted samples with what it predicts on them, 48 per group (discovered, undiscovered). */
  async function loadDrillDown(runId: string): Promise<void> {
    drillDown.value = null
    const data = await guarded(() => api.call('runs:drillDown', { runId, perGroup: 48 }))
    if (data) drillDown.value = { runId, data }
  }

  async function select(taskId: string): Promise<void> {
    selectedTaskId.value = taskId
    progress.value = null
    jobs.value = {}
    report.value = null
    bundle.value = null
    drillDown.value = null
    await guarded(refresh)
    running.value = selectedTask.value?.active ?? false
  }

  async function cancel(): Promise<void> {
    if (selectedTaskId.value) await guarded(() => api.call('audits:cancel', { taskId: selectedTaskId.value! }))
  }

  async function pause(): Promise<void> {
    if (selectedTaskId.value) await guarded(() => api.call('audits:pause', { taskId: selectedTaskId.value! }))
  }

  /** Runs what the selected audit still owes (after a pause, a cancel of some runs, or a crash). */
  /** Runs the selected audit's failed and cancelled runs again (an engine crash, a cancel regretted). */
  async function retryEnded(): Promise<void> {
    if (!selectedTaskId.value) return
    await guarded(async () => {
      await api.call('audits:retryEnded', { taskId: selectedTaskId.value! })
      running.value = true
      await refresh()
    })
  }

  /** Whether the selected audit has failed or cancelled runs that a retry would run again. */
  const retryable = computed(
    () => !running.value && !selectedTask.value?.origin && runs.value.some((r) => r.status === 'failed' || r.status === 'cancelled')
  )

  async function resume(): Promise<void> {
    if (!selectedTaskId.value) return
    await guarded(async () => {
      await api.call('audits:resume', { taskId: selectedTaskId.value! })
      running.value = true
      await refresh()
    })
  }

  async function cancelRun(runId: string): Promise<void> {
    await guarded(() => api.call('runs:cancel', { runId }))
  }

  async function pauseRun(runId: string): Promise<void> {
    await guarded(() => api.call('runs:pause', { runId }))
  }

  /** Whether the selected audit has runs left that a resume would execute. */
  const resumable = computed(
    () => !running.value && !selectedTask.value?.origin && runs.value.some((r) => r.status === 'queued' || r.status === 'interrupted')
  )

  async function exportPdf(): Promise<void> {
    if (selectedTaskId.value) report.value = (await guarded(() => api.call('reports:exportPdf', { taskId: selectedTaskId.value! }))) ?? null
  }

  /** The selected audit as one zip another copy can import: report, spec, metrics, manifest, optionally the models. */
  async function exportBundle(includeModels: boolean): Promise<void> {
    if (selectedTaskId.value)
      bundle.value = (await guarded(() => api.call('bundles:export', { taskId: selectedTaskId.value!, includeModels }))) ?? null
  }

  /** After a bundle import: list it and show it. */
  async function showImported(taskId: string): Promise<void> {
    await guarded(refresh)
    await select(taskId)
  }

  /** How far an executing audit is, in [0,1]: its latest progress, else the share of its runs that ended; null when it is not executing. */
  function fractionOf(taskId: string): number | null {
    const task = tasks.value.find((t) => t.id === taskId)
    if (!task?.active) return null
    const seen = live.value[taskId]
    if (seen) return seen.fraction
    const total = Object.values(task.counts).reduce((a, b) => a + b, 0)
    const open = (task.counts.queued ?? 0) + (task.counts.running ?? 0)
    return total ? (total - open) / total : 0
  }

  /** Seconds an executing audit still needs at the pace seen since its progress first arrived here; null until it can be told. */
  function etaOf(taskId: string, now = Date.now()): number | null {
    const seen = live.value[taskId]
    if (!seen || !tasks.value.find((t) => t.id === taskId)?.active) return null
    const moved = seen.fraction - seen.firstFraction
    const elapsed = (seen.at - seen.since) / 1000
    if (moved <= 0.01 || elapsed < 2) return null
    return Math.max(0, ((1 - seen.fraction) * elapsed) / moved - Math.max(0, now - seen.at) / 1000)
  }

  /**
   * Deletes an audit that is not running (main refuses one that is, saying so): it leaves the list,
   * and the selection if it was selected. Whether it was deleted; a refusal is in `error`.
   */
  async function remove(taskId: string): Promise<boolean> {
    const result = await guarded(() => api.call('audits:delete', { taskId }))
    if (!result?.deleted) return false
    tasks.value = tasks.value.filter((t) => t.id !== taskId)
    delete live.value[taskId]
    if (selectedTaskId.value === taskId) {
      selectedTaskId.value = null
      runsTaskId = null
      runs.value = []
      running.value = false
      progress.value = null
      jobs.value = {}
    }
    return true
  }

  /** Exports any audit's report as a PDF (the audit list's action); the file written, or null with `error` set. */
  async function exportPdfFor(taskId: string): Promise<{ path: string; sha256: string; bytes: number } | null> {
    const written = (await guarded(() => api.call('reports:exportPdf', { taskId }))) ?? null
    if (written && taskId === selectedTaskId.value) report.value = written
    return written
  }

  return {
    catalog,
    tasks,
    selectedTaskId,
    selectedTask,
    runs,
    progress,
    jobs,
    running,
    resumable,
    retryable,
    retryEnded,
    error,
    report,
    bundle,
    preview,
    estimate,
    drillDown,
    init,
    loadCatalog,
    start,
    showPreview,
    estimateFor,
    loadDrillDown,
    select,
    cancel,
    pause,
    resume,
    cancelRun,
    pauseRun,
    exportPdf,
    exportBundle,
    showImported,
    live,
    fractionOf,
    etaOf,
    remove,
    exportPdfFor
  }
})
