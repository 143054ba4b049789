import { ipcMain, type IpcMainInvokeEvent, type WebContents } from 'electron'
import { EVENT_BUS, INVOKE_CHANNELS } from '@shared/api/channels'
import type { Dispatch } from '../api/router'

/**
 * Registers one handler per contract channel. A call is served only when it comes from the main
 * frame of the app's own window; the router then validates the input against the contract.
 */
export function registerIpc(dispatch: Dispatch, trusted: () => WebContents | null, isAppUrl: (url: string) => boolean): void {
  for (const channel of INVOKE_CHANNELS) {
    ipcMain.handle(channel, async (event: IpcMainInvokeEvent, input: unknown) => {
      const window = trusted()
      const frame = event.senderFrame
      if (!window || event.sender !== window || !frame || frame !== event.sender.mainFrame || !isAppUrl(frame.url)) {
        return { ok: false, error: { code: 'FORBIDDEN', message: 'Calls are accepted only from the app window' } }
      }
      return dispatch(channel, input)
    })
  }
}

export function sendEvent(target: WebContents | null, channel: string, payload: unknown): void {
  if (target && !target.isDestroyed()) target.send(EVENT_BUS, { channel, payload })
}
