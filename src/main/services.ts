import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { AuditService } from './audit/audit-service'
import type { SpawnEngine } from './engine-host/host'
import { EnginePool } from './engine-host/pool'
import { LibraryService } from './library/library-service'
import { AuditStore } from './store/audit-store'

export interface ServiceOptions {
  dataDir: string
  resourcesDir: string
  spawnEngine: SpawnEngine
  appVersion: string
  /** Defaults to audit.db in the data folder. */
  dbFile?: string
  /** Jobs run at once, each in its own engine process; defaults to one per spare core. */
  jobs?: number
}

/** Everything main owns, built the same way under Electron, `serve`, the CLI and the tests. */
export interface Services {
  store: AuditStore
  engine: EnginePool
  audits: AuditService
  library: LibraryService
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
  const interruptedAtStart = store.runs.markInterrupted()
  // UNLEARN_JOBS lets a user with more cores (or less memory) set the default without a flag.
  const envJobs = process.env.UNLEARN_JOBS ? Number(process.env.UNLEARN_JOBS) : undefined
  const engine = new EnginePool(o.spawnEngine, o.jobs ?? envJobs)
  const paths = { dataDir: o.dataDir, resourcesDir: o.resourcesDir, dbFile }
  const audits = new AuditService(store, engine, paths)
  const library = new LibraryService(store, engine, paths)
  return {
    store,
    engine,
    audits,
    library,
    paths,
    appVersion: o.appVersion,
    interruptedAtStart,
    dispose: () => {
      engine.dispose()
      store.close()
    }
  }
}
