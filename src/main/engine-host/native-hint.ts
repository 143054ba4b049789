import { NATIVE_HINT } from '../engine/backend/onednn-addon'
import type { EngineInfo } from './host'

/** How to get native speed, where the engine fell back past the native backend for want of oneDNN. */
export function nativeHint(info: EngineInfo): string | null {
  const fellBack = info.backend === 'wasm' || info.backend === 'cpu'
  return fellBack && info.backendSkipped.some((reason) => reason.startsWith('native:')) ? NATIVE_HINT : null
}
