import { createPinia } from 'pinia'
import { createApp } from 'vue'
import App from './App.vue'
import { connectBridge } from './api/bridge'
import { createClient } from './api/client'
import { API_CLIENT } from './api/inject'

const app = createApp(App)
app.use(createPinia())
app.provide(API_CLIENT, createClient(connectBridge()))
app.mount('#app')
