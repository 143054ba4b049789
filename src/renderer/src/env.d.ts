/// <reference types="vite/client" />

declare module '*.vue' {
  import type { DefineComponent } from 'vue'
  const component: DefineComponent<object, object, unknown>
  export default component
}

interface Window {
  /** Present in the Electron app (set by the preload); absent in a plain browser. */
  unlearningApi?: import('./api/bridge').ApiBridge
}
