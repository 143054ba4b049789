import type { BackendName } from '@main/engine/backend/select'
import { loadOneDnn } from '@main/engine/backend/onednn-addon'

/** True where the oneDNN addon is built and loads. */
export const nativeAvailable = typeof loadOneDnn() !== 'string'

/**
 * CI sets UNLEARN_REQUIRE_NATIVE so that a broken native build fails the native tests; on a machine
 * without oneDNN they are skipped, as the app falls back to wasm there.
 */
export const skipNative = !nativeAvailable && !process.env.UNLEARN_REQUIRE_NATIVE

/** The backend the engine picks here with no preference (tfjs-node is never installed in tests). */
export function expectedBackend(): BackendName {
  const forced = process.env.UNLEARN_BACKEND as BackendName | undefined
  return forced ?? (nativeAvailable ? 'native' : 'wasm')
}
