import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron'
import { EVENT_BUS, EVENT_CHANNELS, INVOKE_CHANNELS } from '@shared/api/channels'

/**
 * The renderer's only door to main: invoke a contract channel, or listen to contract events.
 * No ipcRenderer, no Node, and no channel outside the contract is reachable from the page.
 */
const invokable = new Set<string>(INVOKE_CHANNELS)
const events = new Set<string>(EVENT_CHANNELS)

contextBridge.exposeInMainWorld('unlearningApi', {
  invoke(channel: string, input: unknown) {
    if (!invokable.has(channel))
      return Promise.resolve({ ok: false, error: { code: 'NOT_FOUND', message: `Unknown API channel ${channel}` } })
    return ipcRenderer.invoke(channel, input)
  },
  onEvent(listener: (channel: string, payload: unknown) => void) {
    const forward = (_event: IpcRendererEvent, message: { channel: string; payload: unknown }) => {
      if (events.has(message.channel)) listener(message.channel, message.payload)
    }
    ipcRenderer.on(EVENT_BUS, forward)
    return () => ipcRenderer.removeListener(EVENT_BUS, forward)
  }
})
