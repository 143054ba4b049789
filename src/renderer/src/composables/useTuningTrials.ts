import { computed, inject, ref, shallowRef, watch } from 'vue'
import { formatNumber } from '@shared/metrics/display'
import { changedSettings, TUNING_OBJECTIVES, type TuningRecord } from '@shared/tuning'
import { API_CLIENT } from '../api/inject'
import { useAuditStore } from '../stores/audit'

/** The parts an objective is made of, as the trials table heads them. */
const COMPONENT_LABELS: Record<string, string> = {
  forgetAccuracy: 'Forget acc.',
  retainAccuracy: 'Retain acc.',
  validationAccuracy: 'Validation acc.',
  healedHeldOut: 'Healed (held out)'
}

export interface TrialRow {
  trial: number
  kept: boolean
  settings: string
  components: string[]
  objective: string
  seconds: string
  error: string | null
}

/** A record as the Run detail's table shows it: one row per trial, one column per part of the objective. */
export function trialTable(record: TuningRecord) {
  const keys = [...new Set(record.trials.flatMap((t) => Object.keys(t.components)))]
  const base = record.trials.find((t) => t.trial === 0)?.params ?? {}
  const rows: TrialRow[] = record.trials.map((t) => ({
    trial: t.trial,
    kept: t.trial === record.kept,
    settings: changedSettings(t, base),
    components: keys.map((k) => formatNumber(t.components[k])),
    objective: formatNumber(t.objective),
    seconds: formatNumber(t.seconds, 2),
    error: t.error
  }))
  return {
    objective: TUNING_OBJECTIVES[record.objective],
    components: keys.map((k) => ({ key: k, label: COMPONENT_LABELS[k] ?? k })),
    rows,
    failed: rows.some((r) => r.error !== null),
    kept: `trial ${record.kept} of ${record.trials.length}`
  }
}

/**
 * The selected audit's tuning records by run id, when its spec asked for tuning; read again as its
 * runs end (a run's trials are stored when it ends). A reply that a newer read overtook is dropped.
 */
export function useTuningTrials() {
  const api = inject(API_CLIENT)!
  const audit = useAuditStore()
  // Shallow: records are replaced whole, never edited.
  const records = shallowRef<ReadonlyMap<string, TuningRecord>>(new Map())
  const state = ref<'idle' | 'loading' | 'ready' | 'error'>('idle')
  const problem = ref('')
  const tuned = computed(() => Boolean(audit.selectedTask?.spec.tuning))
  const key = computed(() => {
    const task = audit.selectedTask
    if (!task?.spec.tuning) return null
    const ended = audit.runs.filter((r) => r.taskId === task.id && r.status !== 'queued' && r.status !== 'running').length
    return `${task.id}|${ended}`
  })
  let generation = 0

  async function load(taskId: string | null): Promise<void> {
    const mine = ++generation
    if (!taskId) {
      records.value = new Map()
      state.value = 'idle'
      return
    }
    state.value = 'loading'
    try {
      const reply = await api.call('tuning:trials', { taskId })
      if (mine !== generation) return
      records.value = new Map(reply.runs.map((r) => [r.runId, r.record]))
      state.value = 'ready'
    } catch (err) {
      if (mine !== generation) return
      problem.value = (err as Error).message
      state.value = 'error'
    }
  }

  watch(key, (k) => void load(k ? k.slice(0, k.lastIndexOf('|')) : null), { immediate: true })
  return { records, tuned, state, problem }
}
