/**
 * Toasts from anywhere (stores included), through PrimeVue's toast bus. The Toast component in
 * App.vue renders them in an aria-live region, so screen readers announce each one.
 */
import ToastEventBus from 'primevue/toasteventbus';

type Severity = 'success' | 'info' | 'warn' | 'error';

const LIFE: Record<Severity, number> = { success: 5000, info: 5000, warn: 8000, error: 10000 };

export function notify(severity: Severity, summary: string, detail?: string): void {
  ToastEventBus.emit('add', { severity, summary, detail, life: LIFE[severity] });
}
