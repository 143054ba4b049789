import { defineConfig } from 'electron-vite'
import vue from '@vitejs/plugin-vue'
import { PATH_ALIASES } from './path-aliases.mjs'

export default defineConfig({
  main: { resolve: { alias: PATH_ALIASES } },
  // A sandboxed preload can only require a few built-ins, so it is bundled whole.
  preload: { resolve: { alias: PATH_ALIASES }, build: { externalizeDeps: false } },
  renderer: {
    resolve: { alias: PATH_ALIASES },
    plugins: [vue()]
  }
})
