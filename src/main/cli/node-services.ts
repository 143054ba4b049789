import { join } from 'node:path'
import { nodeEngineSpawner } from '../engine-host/node-spawner'
import { appVersion, findAppRoot } from '../paths'
import { createServices, type Services } from '../services'

/** Services for plain Node (headless command, `serve`, tests): the engine runs from source via tsx. */
export function createNodeServices(o: { dataDir: string; dbFile?: string; jobs?: number }): Services {
  const root = findAppRoot()
  return createServices({
    ...o,
    resourcesDir: join(root, 'resources'),
    spawnEngine: nodeEngineSpawner(root),
    appVersion: appVersion(root)
  })
}
