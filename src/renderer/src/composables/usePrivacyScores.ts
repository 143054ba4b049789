import { inject, ref, shallowRef, watch, type Ref } from 'vue'
import type { PrivacyScores } from '@shared/api/contract'
import { API_CLIENT } from '../api/inject'

/** Which scores to read: one audit's cell and seed. */
export interface ScoresQuery {
  taskId: string
  cellKey: string
  seed: number
}

/**
 * The per-example attack scores of one cell and seed, read again whenever the query or `version`
 * changes (the attacked runs of the cell: new attacks landed). A reply that a newer query overtook is dropped.
 */
export function usePrivacyScores(query: Ref<ScoresQuery | null>, version: Ref<string>) {
  const api = inject(API_CLIENT)!
  // Shallow: the scores of a large attack are long arrays that nothing edits.
  const data = shallowRef<PrivacyScores | null>(null)
  const state = ref<'idle' | 'loading' | 'ready' | 'error'>('idle')
  const problem = ref('')
  let generation = 0

  async function load(q: ScoresQuery | null): Promise<void> {
    const mine = ++generation
    if (!q) {
      data.value = null
      state.value = 'idle'
      return
    }
    state.value = 'loading'
    try {
      const reply = await api.call('privacy:scores', { ...q, exposedPerRun: 8 })
      if (mine !== generation) return
      data.value = reply
      state.value = 'ready'
    } catch (err) {
      if (mine !== generation) return
      data.value = null
      problem.value = (err as Error).message
      state.value = 'error'
    }
  }

  watch([() => JSON.stringify(query.value), version], () => void load(query.value), { immediate: true })
  return { data, state, problem }
}
