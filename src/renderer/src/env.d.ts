/// <reference types="vite/client" />
import type { LthBridge } from '../../shared/api/bridge';

declare module '*.vue' {
  import type { DefineComponent } from 'vue';
  const component: DefineComponent<object, object, unknown>;
  export default component;
}

declare global {
  interface Window {
    /** Present only inside the desktop app (the preload puts it there). */
    lth?: LthBridge;
  }
}
