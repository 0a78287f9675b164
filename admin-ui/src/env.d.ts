/// <reference types="vite/client" />

// PrimeVue ships this event bus without type declarations.
declare module 'primevue/toasteventbus' {
  const ToastEventBus: {
    emit(event: string, payload?: unknown): void;
    on(event: string, handler: (payload: unknown) => void): void;
    off(event: string, handler: (payload: unknown) => void): void;
  };
  export default ToastEventBus;
}
