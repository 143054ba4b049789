import { afterAll, expect } from 'vitest'
import { createNodeServices } from '@main/cli/node-services'
import { makeTempDir } from './tmp'

/** Real services on a temp data folder for one test file, cleaned up after it. */
export function useAuditServices(prefix: string) {
  const tmp = makeTempDir(prefix)
  const services = createNodeServices({ dataDir: tmp.dir })
  afterAll(() => {
    services.dispose()
    tmp.cleanup()
  })
  return services
}

/** Runs an audit to the end, asserts every run finished, and returns metrics and runs by method. */
export async function runAuditExpectingDone(services: ReturnType<typeof createNodeServices>, spec: Record<string, unknown>) {
  const { taskId, done } = await services.audits.start(spec)
  await done
  const runs = services.store.runs.list(taskId)
  for (const r of runs) expect(r.status, `${r.method}: ${r.error}`).toBe('done')
  return { taskId, runs, metrics: Object.fromEntries(runs.map((r) => [r.method, r.metrics as Record<string, any>])) }
}
