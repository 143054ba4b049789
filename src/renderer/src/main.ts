import { createPinia } from 'pinia'
import { createApp } from 'vue'
import App from './App.vue'
import { webSocketBridge } from './api/bridge'
import { createClient } from './api/client'
import { API_CLIENT } from './api/inject'

const app = createApp(App)
app.use(createPinia())
// The preload's bridge in Electron; the loopback WebSocket in a plain browser.
app.provide(API_CLIENT, createClient(window.unlearningApi ?? webSocketBridge(window.location)))
app.mount('#app')
