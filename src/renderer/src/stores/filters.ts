import { defineStore } from 'pinia'
import { computed, reactive } from 'vue'
import type { LocationQuery, LocationQueryRaw } from 'vue-router'
import { filterChoices, isAuditRun, NO_FILTER, type RunFilter, runMatches, taskMatches } from '@shared/run-filter'
import { useAuditStore } from './audit'

/** The URL's query keys of the filters (the workspace writes them, so a link restores the slice). */
export const FILTER_QUERY_KEYS = {
  dataset: 'dataset',
  model: 'model',
  taskKind: 'task',
  corruption: 'corruption',
  methods: 'methods',
  seed: 'seed'
} as const satisfies Record<keyof RunFilter, string>

const first = (v: LocationQuery[string] | undefined): string => (Array.isArray(v) ? (v[0] ?? '') : (v ?? '')) || ''

/** The filter a URL's query names; keys it lacks let everything through. */
export function filterFromQuery(query: LocationQuery): RunFilter {
  const seed = first(query[FILTER_QUERY_KEYS.seed])
  const methods = first(query[FILTER_QUERY_KEYS.methods])
  return {
    dataset: first(query[FILTER_QUERY_KEYS.dataset]),
    model: first(query[FILTER_QUERY_KEYS.model]),
    taskKind: first(query[FILTER_QUERY_KEYS.taskKind]),
    corruption: first(query[FILTER_QUERY_KEYS.corruption]),
    methods: methods ? methods.split(',').filter(Boolean) : [],
    seed: seed !== '' && Number.isFinite(Number(seed)) ? Number(seed) : null
  }
}

/** The query keys of a filter, an empty filter as `undefined` (dropped from the URL). */
export function filterToQuery(f: RunFilter): Record<string, string | undefined> {
  const text = (v: string) => (v === '' ? undefined : v)
  return {
    [FILTER_QUERY_KEYS.dataset]: text(f.dataset),
    [FILTER_QUERY_KEYS.model]: text(f.model),
    [FILTER_QUERY_KEYS.taskKind]: text(f.taskKind),
    [FILTER_QUERY_KEYS.corruption]: text(f.corruption),
    [FILTER_QUERY_KEYS.methods]: f.methods.length ? [...f.methods].sort().join(',') : undefined,
    [FILTER_QUERY_KEYS.seed]: f.seed === null ? undefined : String(f.seed)
  }
}

/** `query` with `patch` laid over it, keys set to undefined removed. */
export function mergeQuery(query: LocationQuery, patch: Record<string, string | undefined>): LocationQueryRaw {
  const out: LocationQueryRaw = { ...query }
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined) delete out[k]
    else out[k] = v
  }
  return out
}

const sameFilter = (a: RunFilter, b: RunFilter) => JSON.stringify(filterToQuery(a)) === JSON.stringify(filterToQuery(b))

/** The filters every comparison view applies, so a slice chosen once holds across all of them. */
export const useFilterStore = defineStore('filters', () => {
  const audit = useAuditStore()
  const filter = reactive<RunFilter>({ ...NO_FILTER, methods: [] })

  /** The selected audit's forgetting task, the base each run's sweep cell is laid over. */
  const baseTask = computed((): Record<string, unknown> => audit.selectedTask?.spec.task ?? {})
  /** The audit's own runs (original, retrain, methods): the privacy evidence's models are never compared. */
  const auditRuns = computed(() => audit.runs.filter(isAuditRun))
  const choices = computed(() => filterChoices(audit.tasks, auditRuns.value, baseTask.value))
  const visibleTasks = computed(() => audit.tasks.filter((t) => taskMatches(t, filter)))
  /** Every run the filters keep, the privacy evidence's models too: the Runs tab lists them all. */
  const matchingRuns = computed(() => {
    const task = audit.selectedTask
    return task ? audit.runs.filter((r) => runMatches(r, task, filter)) : []
  })
  /** The runs the comparison views compare: the audit's own that the filters keep. */
  const visibleRuns = computed(() => matchingRuns.value.filter(isAuditRun))
  const active = computed(() => Object.entries(filter).some(([, v]) => (Array.isArray(v) ? v.length > 0 : v !== '' && v !== null)))
  /** The filter as URL query keys (empty ones undefined). */
  const query = computed(() => filterToQuery(filter))

  function reset(): void {
    Object.assign(filter, { ...NO_FILTER, methods: [] })
  }

  /** Takes the filter a URL names; nothing changes when it is the one in force already. */
  function applyQuery(q: LocationQuery): void {
    const next = filterFromQuery(q)
    if (!sameFilter(next, filter)) Object.assign(filter, next)
  }

  return { filter, choices, visibleTasks, auditRuns, matchingRuns, visibleRuns, active, baseTask, query, reset, applyQuery }
})
