import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { forwardEvents } from '@main/api/events'
import { createApiHandlers } from '@main/api/handlers'
import { createRouter } from '@main/api/router'
import { createNodeServices } from '@main/cli/node-services'
import { startLoopbackServer } from '@main/transport/loopback-server'

const ROOT = join(__dirname, '..', '..')

/** The real services behind the loopback transport, as `npm run serve` runs them. */
/** The built renderer's folder, built first if this checkout has none yet. */
export function ensureRendererBuilt(): string {
  const rendererDir = join(ROOT, 'out', 'renderer')
  if (!existsSync(join(rendererDir, 'index.html'))) execFileSync('npx', ['electron-vite', 'build'], { cwd: ROOT, stdio: 'ignore' })
  return rendererDir
}

export async function startServedApp(dataDir: string) {
  const rendererDir = ensureRendererBuilt()
  const services = createNodeServices({ dataDir })
  const server = await startLoopbackServer({ dispatch: createRouter(createApiHandlers(services)), rendererDir })
  const stopEvents = forwardEvents(services, server.broadcast)
  return {
    services,
    server,
    stop: async () => {
      stopEvents()
      await server.close()
      services.dispose()
    }
  }
}
