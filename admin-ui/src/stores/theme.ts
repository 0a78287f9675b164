/**
 * Light or dark. Follows the system setting (prefers-color-scheme) until someone uses the toggle;
 * that choice is remembered in localStorage and wins from then on.
 */
import { defineStore } from 'pinia';
import { computed, ref, watch } from 'vue';
import { applyTheme, rememberTheme, storedTheme, type ThemeName } from '../theme-tokens';

const systemQuery = (): MediaQueryList | undefined =>
  typeof window !== 'undefined' && typeof window.matchMedia === 'function'
    ? window.matchMedia('(prefers-color-scheme: dark)')
    : undefined;

export const useThemeStore = defineStore('theme', () => {
  const query = systemQuery();
  const system = ref<ThemeName>(query?.matches ? 'dark' : 'light');
  const choice = ref<ThemeName | undefined>(storedTheme());
  const theme = computed<ThemeName>(() => choice.value ?? system.value);

  query?.addEventListener('change', (event) => {
    system.value = event.matches ? 'dark' : 'light';
  });

  watch(theme, (next) => applyTheme(next), { immediate: true });

  function toggle(): void {
    choice.value = theme.value === 'dark' ? 'light' : 'dark';
    rememberTheme(choice.value);
  }

  /** Forgets the toggle's choice and follows the system again. */
  function followSystem(): void {
    choice.value = undefined;
    rememberTheme(undefined);
  }

  return { theme, choice, system, toggle, followSystem };
});
