/**
 * Mounts the whole app (router, stores, PrimeVue, live updates) on a page path, against a
 * FakeApi, with @vue/test-utils. Dialogs and toasts render into document.body, so tests read the
 * page through `page()` rather than the wrapper alone.
 */
import { mount, type VueWrapper } from '@vue/test-utils';
import { createMemoryHistory } from 'vue-router';
import { vi } from 'vitest';
import App from '../../src/App.vue';
import { createWardenSetup, type WardenSetup } from '../../src/app';
import { writeSession } from '../../src/auth/session';
import { TEST_TOKEN, wsSocket, type FakeApi } from './fake-api';

export interface MountedApp extends WardenSetup {
  wrapper: VueWrapper;
  /** Unmounts, then waits for requests still in flight so the server can close cleanly. */
  unmount(): Promise<void>;
}

export async function mountApp(
  api: FakeApi,
  path: string,
  { signedIn = true, role = 'admin' }: { signedIn?: boolean; role?: 'admin' | 'viewer' } = {},
): Promise<MountedApp> {
  sessionStorage.clear();
  document.body.innerHTML = '';
  if (signedIn) writeSession({ token: TEST_TOKEN, kind: 'token', role });
  let inFlight = 0;
  const countingFetch: typeof fetch = async (input, init) => {
    inFlight += 1;
    try {
      return await globalThis.fetch(input, init);
    } finally {
      inFlight -= 1;
    }
  };
  const setup = createWardenSetup(
    { apiUrl: api.url, webSocketUrl: api.webSocketUrl, auth: { mode: 'token' } },
    createMemoryHistory(),
    {
      fetch: countingFetch,
      realtime: {
        createSocket: wsSocket,
        backoff: { initialMs: 50, maxMs: 200, factor: 2, jitter: 0 },
        pollIntervalMs: 200,
      },
    },
  );
  await setup.router.push(path);
  await setup.router.isReady();
  const host = document.createElement('div');
  document.body.appendChild(host);
  const wrapper = mount(App, { global: { plugins: [setup.plugin] }, attachTo: host });
  return {
    ...setup,
    wrapper,
    unmount: async () => {
      setup.live.stop();
      wrapper.unmount();
      await vi.waitFor(
        () => {
          if (inFlight > 0) throw new Error(`${inFlight} requests still in flight`);
        },
        { timeout: 3000, interval: 10 },
      );
    },
  };
}

/** The visible text of the whole page, whitespace collapsed (dialogs and toasts included). */
export const page = (): string => (document.body.textContent ?? '').replace(/\s+/g, ' ');

/** Waits (polling) until the page shows `text`. */
export async function see(text: string | RegExp, timeout = 5000): Promise<void> {
  await vi.waitFor(
    () => {
      const content = page();
      if (typeof text === 'string' ? !content.includes(text) : !text.test(content)) {
        throw new Error(
          `the page does not show ${String(text)}; it shows: ${content.slice(0, 600)}`,
        );
      }
    },
    { timeout, interval: 20 },
  );
}

export async function element<T extends Element = HTMLElement>(
  selector: string,
  timeout = 5000,
): Promise<T> {
  return vi.waitFor(
    () => {
      const found = document.querySelector<T>(selector);
      if (!found) throw new Error(`no element matches ${selector}`);
      return found;
    },
    { timeout, interval: 20 },
  );
}

export function buttonNamed(name: string | RegExp): HTMLButtonElement {
  const buttons = [...document.querySelectorAll<HTMLButtonElement>('button')];
  const match = buttons.find((b) => {
    const label = (b.getAttribute('aria-label') ?? b.textContent ?? '').trim();
    return typeof name === 'string' ? label === name : name.test(label);
  });
  if (!match) {
    throw new Error(
      `no button named ${String(name)}; buttons: ${buttons.map((b) => b.getAttribute('aria-label') ?? b.textContent?.trim()).join(' | ')}`,
    );
  }
  return match;
}

export async function click(name: string | RegExp): Promise<void> {
  const button = await vi.waitFor(() => buttonNamed(name), { timeout: 5000, interval: 20 });
  button.click();
}

/** Types into an input and leaves it, so v-model and PrimeVue inputs see the new value. */
export function type(input: HTMLInputElement | HTMLTextAreaElement, value: string): void {
  input.focus();
  input.value = value;
  input.dispatchEvent(new Event('input', { bubbles: true }));
  input.dispatchEvent(new Event('change', { bubbles: true }));
  // Leaving the field commits it (PrimeVue's InputNumber parses its text on blur).
  input.dispatchEvent(new FocusEvent('blur'));
  input.dispatchEvent(new FocusEvent('focusout', { bubbles: true }));
}

/** Opens a PrimeVue Select (again, if a dialog was still opening) and picks an option. */
export async function choose(selectSelector: string, text: string): Promise<void> {
  const select = await element(selectSelector);
  const option = await vi.waitFor(
    () => {
      const combobox = select.querySelector('[role="combobox"]');
      if (combobox?.getAttribute('aria-expanded') !== 'true') select.click();
      return findOption(text);
    },
    { timeout: 5000, interval: 50 },
  );
  // PrimeVue picks an option on mousedown, as a person's click begins.
  option.dispatchEvent(new MouseEvent('mousedown', { bubbles: true }));
  option.click();
}

function findOption(text: string): HTMLElement {
  const found = [...document.querySelectorAll<HTMLElement>('[role="option"]')].find((o) =>
    o.textContent?.includes(text),
  );
  if (!found) throw new Error(`no option shows ${text}`);
  return found;
}

/** Opens a PrimeVue Select and returns the option showing `text`, without picking it. */
export async function openOption(selectSelector: string, text: string): Promise<HTMLElement> {
  const select = await element(selectSelector);
  return vi.waitFor(
    () => {
      const combobox = select.querySelector('[role="combobox"]');
      if (combobox?.getAttribute('aria-expanded') !== 'true') select.click();
      return findOption(text);
    },
    { timeout: 5000, interval: 50 },
  );
}

/** Waits until the header says the live connection is up. */
export async function live(): Promise<void> {
  await element('[data-testid="connection-state"][data-state="live"]');
}
