import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { createApiHandlers } from '../api/handlers'
import { forwardEvents } from '../api/events'
import { createRouter } from '../api/router'
import { defaultDataDir, findAppRoot } from '../paths'
import { startLoopbackServer } from '../transport/loopback-server'
import { createNodeServices } from './node-services'

/** `npm run serve`: the app's services plus the built renderer, for a browser on this machine. */
async function main(): Promise<void> {
  const { values } = parseArgs({ options: { port: { type: 'string' }, 'data-dir': { type: 'string' } } })
  const services = createNodeServices({ dataDir: values['data-dir'] ?? defaultDataDir() })
  const server = await startLoopbackServer({
    dispatch: createRouter(createApiHandlers(services)),
    rendererDir: join(findAppRoot(), 'out', 'renderer'),
    port: values.port ? Number(values.port) : 0
  })
  forwardEvents(services, server.broadcast)
  process.stdout.write(`Unlearning Audit is serving on ${server.url}\n(data: ${services.paths.dataDir}; Ctrl+C to stop)\n`)
  const stop = async () => {
    await server.close()
    services.dispose()
    process.exit(0)
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
}

main().catch((err: Error) => {
  process.stderr.write(`serve: ${err.message}\n`)
  process.exit(1)
})
