import { defineStore } from 'pinia'
import { inject, ref } from 'vue'
import { DEFAULT_REPORT_SETTINGS, type ReportSettings } from '@shared/api/contract'
import { API_CLIENT } from '../api/inject'

/** The report settings: who signs, for which organisation, on which paper. */
export const useSettingsStore = defineStore('settings', () => {
  const api = inject(API_CLIENT)!
  const settings = ref<ReportSettings>({ ...DEFAULT_REPORT_SETTINGS })
  const saved = ref(false)
  const error = ref<string | null>(null)

  async function load(): Promise<void> {
    settings.value = await api.call('settings:get', {})
  }

  async function save(changes: Partial<ReportSettings>): Promise<void> {
    error.value = null
    saved.value = false
    try {
      settings.value = await api.call('settings:set', changes)
      saved.value = true
    } catch (err) {
      error.value = (err as Error).message
    }
  }

  return { settings, saved, error, load, save }
})
