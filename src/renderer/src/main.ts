import { createPinia } from 'pinia'
import PrimeVue from 'primevue/config'
import ConfirmationService from 'primevue/confirmationservice'
import ToastService from 'primevue/toastservice'
import Tooltip from 'primevue/tooltip'
import { createApp } from 'vue'
import App from './App.vue'
import { webSocketBridge } from './api/bridge'
import { createClient } from './api/client'
import { API_CLIENT } from './api/inject'
import { createAppRouter } from './router'
import { APP_THEME } from './theme'
import './styles.css'

const app = createApp(App)
app.use(createPinia())
app.use(createAppRouter())
app.use(PrimeVue, { theme: APP_THEME })
app.use(ToastService)
app.use(ConfirmationService)
app.directive('tooltip', Tooltip)
// The preload's bridge in Electron; the loopback WebSocket in a plain browser.
app.provide(API_CLIENT, createClient(window.unlearningApi ?? webSocketBridge(window.location)))
app.mount('#app')
