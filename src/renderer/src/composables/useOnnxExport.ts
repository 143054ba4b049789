import { useToast } from 'primevue/usetoast'
import { inject, ref } from 'vue'
import { API_CLIENT } from '../api/inject'

/**
 * Exports a model of the store as one ONNX file (written by an engine process into the data folder's
 * exports) and says where it went, or why not, in a toast: for taking an unlearned model back to PyTorch.
 */
export function useOnnxExport() {
  const api = inject(API_CLIENT)!
  const toast = useToast()
  const exporting = ref<string | null>(null)

  async function exportOnnx(sha256: string, name: string): Promise<void> {
    exporting.value = sha256
    try {
      const written = await api.call('models:exportOnnx', { sha256 })
      toast.add({
        severity: 'success',
        summary: `${name} saved as ONNX`,
        detail: `${written.path} (${Math.round(written.bytes / 1024)} KiB, sha256 ${written.sha256.slice(0, 12)}…)`,
        life: 12_000
      })
    } catch (err) {
      toast.add({ severity: 'error', summary: `${name} was not exported`, detail: (err as Error).message, life: 10_000 })
    } finally {
      exporting.value = null
    }
  }

  return { exportOnnx, exporting }
}
