import { describe, expect, it } from 'vitest'

describe('the engine boundary', () => {
  it('main loads its services, API, verify, bundles, library and reports without loading TensorFlow.js', async () => {
    // tfjs-core registers its engine on globalThis when it loads; this file's own process imports only main.
    for (const module of [
      '../../src/main/cli/node-services',
      '../../src/main/api/handlers',
      '../../src/main/audit/verify',
      '../../src/main/audit/bundle/import-bundle',
      '../../src/main/library/model-library',
      '../../src/main/reports/audit-report'
    ]) {
      await import(module)
      expect('_tfengine' in globalThis, module).toBe(false)
    }
  })
})
