import { fork } from 'node:child_process'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { SpawnEngine } from './host'

/**
 * Starts the engine from its TypeScript source under plain Node (headless command, `serve`, tests),
 * with tsx as the loader. The Electron app uses the bundled entry through utilityProcess instead.
 */
export function nodeEngineSpawner(appRoot: string): SpawnEngine {
  const tsx = pathToFileURL(createRequire(join(appRoot, 'package.json')).resolve('tsx')).href
  const entry = join(appRoot, 'src', 'main', 'engine', 'process', 'entry.ts')
  return () => {
    // tsx takes the path aliases from the app's tsconfig, whatever folder the command was started in.
    const env = { ...process.env, TSX_TSCONFIG_PATH: join(appRoot, 'tsconfig.json') }
    const child = fork(entry, [], { execArgv: ['--import', tsx], env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    return {
      send: (m) => {
        if (child.connected) child.send(m)
      },
      onMessage: (h) => child.on('message', h),
      onExit: (h) => child.on('exit', (code) => h(code)),
      kill: () => child.kill('SIGKILL')
    }
  }
}
