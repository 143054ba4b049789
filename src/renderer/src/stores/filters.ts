import { defineStore } from 'pinia'
import { computed, reactive } from 'vue'
import { filterChoices, NO_FILTER, type RunFilter, runMatches, taskMatches } from '@shared/run-filter'
import { useAuditStore } from './audit'

/** The filters every comparison view applies, so a slice chosen once holds across all of them. */
export const useFilterStore = defineStore('filters', () => {
  const audit = useAuditStore()
  const filter = reactive<RunFilter>({ ...NO_FILTER, methods: [] })

  /** The selected audit's forgetting task, the base each run's sweep cell is laid over. */
  const baseTask = computed((): Record<string, unknown> => audit.selectedTask?.spec.task ?? {})
  const choices = computed(() => filterChoices(audit.tasks, audit.runs, baseTask.value))
  const visibleTasks = computed(() => audit.tasks.filter((t) => taskMatches(t, filter)))
  const visibleRuns = computed(() => {
    const task = audit.selectedTask
    return task ? audit.runs.filter((r) => runMatches(r, task, filter)) : []
  })
  const active = computed(() => Object.entries(filter).some(([, v]) => (Array.isArray(v) ? v.length > 0 : v !== '' && v !== null)))

  function reset(): void {
    Object.assign(filter, { ...NO_FILTER, methods: [] })
  }

  return { filter, choices, visibleTasks, visibleRuns, active, baseTask, reset }
})
