// The import aliases of every build (electron-vite, vitest); tsconfig.base.json's `paths` says the same for tsc and tsx.
import { fileURLToPath } from 'node:url'

const at = (dir) => fileURLToPath(new URL(dir, import.meta.url))

export const PATH_ALIASES = {
  '@shared': at('./src/shared'),
  '@main': at('./src/main'),
  '@renderer': at('./src/renderer/src')
}
