/** The engine process talks to its host through Electron's parentPort or Node's IPC channel. */
export interface ParentTransport {
  send(message: unknown): void
  onMessage(handler: (message: unknown) => void): void
}

interface ParentPortLike {
  postMessage(message: unknown): void
  on(event: 'message', listener: (e: { data: unknown }) => void): void
}

export function connectToParent(): ParentTransport {
  const parentPort = (process as unknown as { parentPort?: ParentPortLike }).parentPort
  if (parentPort) {
    return {
      send: (m) => parentPort.postMessage(m),
      onMessage: (h) => parentPort.on('message', (e) => h(e.data))
    }
  }
  if (!process.send) throw new Error('The engine must be started by its host (no IPC channel)')
  // A host that died (a crash of the main process) leaves no one to take the results: stop with it.
  process.on('disconnect', () => process.exit(0))
  return {
    send: (m) => process.send!(m),
    onMessage: (h) => process.on('message', h)
  }
}
