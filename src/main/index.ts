import { app, BrowserWindow, protocol, session } from 'electron'
import { join } from 'node:path'
import enginePath from './engine/process/entry?modulePath'
import { forwardEvents } from './api/events'
import { createApiHandlers } from './api/handlers'
import { createRouter } from './api/router'
import { utilityEngineSpawner } from './electron/engine-spawner'
import { registerIpc, sendEvent } from './electron/ipc'
import { hardenApp, hardenSession, isAppUrl, secureWebPreferences } from './electron/security'
import { APP_ENTRY, APP_SCHEME_PRIVILEGES, serveAppProtocol } from './electron/app-protocol'
import { createServices } from './services'

const devServerUrl = !app.isPackaged ? process.env.ELECTRON_RENDERER_URL : undefined
hardenApp(app, devServerUrl)
// Must happen before 'ready': the renderer's own scheme, with the privileges of https.
protocol.registerSchemesAsPrivileged([APP_SCHEME_PRIVILEGES])

if (!app.requestSingleInstanceLock()) app.quit()

let mainWindow: BrowserWindow | null = null

function createWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1200,
    height: 860,
    show: false,
    title: 'Unlearning Audit',
    webPreferences: { ...secureWebPreferences(join(__dirname, '../preload/index.js')), devTools: !app.isPackaged }
  })
  win.once('ready-to-show', () => win.show())
  if (devServerUrl) void win.loadURL(devServerUrl)
  else void win.loadURL(APP_ENTRY)
  return win
}

app.whenReady().then(() => {
  hardenSession(session.defaultSession, devServerUrl)
  serveAppProtocol(protocol, join(__dirname, '../renderer'))
  const appRoot = app.getAppPath()
  const services = createServices({
    dataDir: process.env.APP_DATA_DIR ?? app.getPath('userData'),
    resourcesDir: app.isPackaged ? join(process.resourcesPath, 'resources') : join(appRoot, 'resources'),
    spawnEngine: utilityEngineSpawner(enginePath),
    appVersion: app.getVersion()
  })
  registerIpc(
    createRouter(createApiHandlers(services)),
    () => mainWindow?.webContents ?? null,
    (url) => isAppUrl(url, devServerUrl)
  )
  forwardEvents(services, (channel, payload) => sendEvent(mainWindow?.webContents ?? null, channel, payload))
  mainWindow = createWindow()
  app.on('second-instance', () => mainWindow?.focus())
  app.on('window-all-closed', () => {
    services.dispose()
    app.quit()
  })
})
