import { computed, type WritableComputedRef } from 'vue'
import { type RouteLocationNormalizedLoaded, type Router, useRoute, useRouter } from 'vue-router'
import { mergeQuery } from '../../stores/filters'

/** Patches of the query made in one tick, written as one navigation (two fields set together both land). */
let pending: Record<string, string | undefined> | null = null

/** Lays `patch` over the URL's query, replacing the history entry; patches of the same tick are merged. */
export function patchQuery(router: Router, route: RouteLocationNormalizedLoaded, patch: Record<string, string | undefined>): void {
  if (pending) {
    Object.assign(pending, patch)
    return
  }
  pending = { ...patch }
  queueMicrotask(() => {
    const all = pending!
    pending = null
    void router.replace({ query: mergeQuery(route.query, all) })
  })
}

/**
 * One piece of a tab's view kept in the URL's query (a metric, a sort), so a link restores it.
 * Writing replaces the history entry: the view changes, the page stays.
 */
export function useQueryParam(key: string, fallback: string): WritableComputedRef<string> {
  const route = useRoute()
  const router = useRouter()
  return computed({
    get: () => {
      const v = route.query[key]
      const s = Array.isArray(v) ? v[0] : v
      return typeof s === 'string' && s !== '' ? s : fallback
    },
    set: (value: string) => patchQuery(router, route, { [key]: value === fallback ? undefined : value })
  })
}
