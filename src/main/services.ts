import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { AuditService } from './audit/audit-service'
import { EngineHost, type SpawnEngine } from './engine-host/host'
import { AuditStore } from './store/audit-store'

export interface ServiceOptions {
  dataDir: string
  resourcesDir: string
  spawnEngine: SpawnEngine
  appVersion: string
  /** Defaults to audit.db in the data folder. */
  dbFile?: string
}

/** Everything main owns, built the same way under Electron, `serve`, the CLI and the tests. */
export interface Services {
  store: AuditStore
  engine: EngineHost
  audits: AuditService
  paths: { dataDir: string; resourcesDir: string; dbFile: string }
  appVersion: string
  /** How many runs were found cut off by an earlier crash and marked interrupted at start. */
  interruptedAtStart: number
  dispose(): void
}

export function createServices(o: ServiceOptions): Services {
  mkdirSync(o.dataDir, { recursive: true })
  const dbFile = o.dbFile ?? join(o.dataDir, 'audit.db')
  const store = new AuditStore(dbFile)
  const interruptedAtStart = store.markInterruptedRuns()
  const engine = new EngineHost(o.spawnEngine)
  const paths = { dataDir: o.dataDir, resourcesDir: o.resourcesDir, dbFile }
  const audits = new AuditService(store, engine, paths)
  return {
    store,
    engine,
    audits,
    paths,
    appVersion: o.appVersion,
    interruptedAtStart,
    dispose: () => {
      engine.dispose()
      store.close()
    }
  }
}
