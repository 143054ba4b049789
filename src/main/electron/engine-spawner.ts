import { utilityProcess } from 'electron'
import type { SpawnEngine } from '../engine-host/host'

/** The engine in an Electron utility process: its own V8 heap, so an out-of-memory ends the job, not the app. */
export function utilityEngineSpawner(entry: string): SpawnEngine {
  return () => {
    const child = utilityProcess.fork(entry, [], { serviceName: 'unlearning-engine', stdio: 'inherit' })
    return {
      send: (m) => child.postMessage(m),
      onMessage: (h) => child.on('message', h),
      onExit: (h) => child.on('exit', (code) => h(code)),
      kill: () => child.kill()
    }
  }
}
