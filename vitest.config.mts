import { defineConfig } from 'vitest/config'
import { PATH_ALIASES } from './path-aliases.mjs'

export default defineConfig({
  resolve: { alias: PATH_ALIASES },
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Engine tests are CPU-bound on a 2-core machine; running files one at a time keeps timings sane.
    fileParallelism: false,
    pool: 'forks'
  }
})
