/**
 * The app's own colours, light and dark, in one place: styles.css and the components read them
 * as CSS custom properties (`--<name>`), the memory chart reads the chart series, and a unit test
 * checks every text/background pair below against WCAG AA in both themes.
 */
export type ThemeName = 'light' | 'dark';

export const TOKEN_NAMES = [
  'app-bg',
  'surface',
  'surface-subtle',
  'surface-muted',
  'surface-warm',
  'border-subtle',
  'app-border',
  'app-text',
  'app-muted',
  'link',
  'sidebar-bg',
  'sidebar-text',
  'sidebar-muted',
  'sidebar-hover',
  'sidebar-active',
  'warn-bg',
  'warn-border',
  'warn-text',
  'danger-text',
  'ok',
  'ok-bg',
  'ok-text',
  'ok-border',
  'info-bg',
  'info-text',
  'info-border',
  'caution-bg',
  'caution-text',
  'caution-border',
  'danger-bg',
  'danger-strong-text',
  'danger-border',
  'neutral-bg',
  'neutral-text',
  'neutral-border',
  'error-bg',
  'error-border',
  'error-text',
  'code-bg',
  'code-text',
  'bar-warn',
  'bar-danger',
  'highlight',
] as const;
export type TokenName = (typeof TOKEN_NAMES)[number];

export const THEME_TOKENS: Record<ThemeName, Record<TokenName, string>> = {
  light: {
    'app-bg': '#f5f6fa',
    surface: '#ffffff',
    'surface-subtle': '#f8fafc',
    'surface-muted': '#f1f5f9',
    'surface-warm': '#fffbf5',
    'border-subtle': '#eef2f7',
    'app-border': '#e2e8f0',
    'app-text': '#1e293b',
    'app-muted': '#5e6d82',
    link: '#4338ca',
    'sidebar-bg': '#111827',
    'sidebar-text': '#e5e7eb',
    'sidebar-muted': '#9ca3af',
    'sidebar-hover': '#1f2937',
    'sidebar-active': '#312e81',
    'warn-bg': '#fff7ed',
    'warn-border': '#fdba74',
    'warn-text': '#9a3412',
    'danger-text': '#b91c1c',
    ok: '#16a34a',
    'ok-bg': '#dcfce7',
    'ok-text': '#166534',
    'ok-border': '#bbf7d0',
    'info-bg': '#e0e7ff',
    'info-text': '#3730a3',
    'info-border': '#c7d2fe',
    'caution-bg': '#ffedd5',
    'caution-text': '#9a3412',
    'caution-border': '#fed7aa',
    'danger-bg': '#fee2e2',
    'danger-strong-text': '#991b1b',
    'danger-border': '#fecaca',
    'neutral-bg': '#f1f5f9',
    'neutral-text': '#475569',
    'neutral-border': '#e2e8f0',
    'error-bg': '#fef2f2',
    'error-border': '#fecaca',
    'error-text': '#7f1d1d',
    'code-bg': '#0f172a',
    'code-text': '#e2e8f0',
    'bar-warn': '#d97706',
    'bar-danger': '#dc2626',
    highlight: '#e0e7ff',
  },
  dark: {
    'app-bg': '#0b1020',
    surface: '#151b2e',
    'surface-subtle': '#1a2136',
    'surface-muted': '#222a42',
    'surface-warm': '#231b12',
    'border-subtle': '#283149',
    'app-border': '#334155',
    'app-text': '#e2e8f0',
    'app-muted': '#9aa8bc',
    link: '#a5b4fc',
    'sidebar-bg': '#070b16',
    'sidebar-text': '#e5e7eb',
    'sidebar-muted': '#9ca3af',
    'sidebar-hover': '#1a2136',
    'sidebar-active': '#312e81',
    'warn-bg': '#2d1a0b',
    'warn-border': '#9a3412',
    'warn-text': '#fdba74',
    'danger-text': '#fca5a5',
    ok: '#4ade80',
    'ok-bg': '#052e16',
    'ok-text': '#86efac',
    'ok-border': '#166534',
    'info-bg': '#1e1b4b',
    'info-text': '#c7d2fe',
    'info-border': '#3730a3',
    'caution-bg': '#431407',
    'caution-text': '#fdba74',
    'caution-border': '#9a3412',
    'danger-bg': '#450a0a',
    'danger-strong-text': '#fca5a5',
    'danger-border': '#991b1b',
    'neutral-bg': '#1e293b',
    'neutral-text': '#cbd5e1',
    'neutral-border': '#334155',
    'error-bg': '#2a0f12',
    'error-border': '#7f1d1d',
    'error-text': '#fecaca',
    'code-bg': '#060a14',
    'code-text': '#e2e8f0',
    'bar-warn': '#fbbf24',
    'bar-danger': '#f87171',
    highlight: '#312e81',
  },
};

/** Memory chart series, one colour per process, readable on each theme's surface. */
export const CHART_SERIES: Record<ThemeName, string[]> = {
  light: ['#4f46e5', '#0e7490', '#b45309', '#be185d', '#15803d', '#7c3aed', '#dc2626'],
  dark: ['#a5b4fc', '#22d3ee', '#fbbf24', '#f472b6', '#4ade80', '#c4b5fd', '#f87171'],
};

/** Axis labels and grid lines of the chart. */
export const CHART_AXIS: Record<ThemeName, { text: string; grid: string }> = {
  light: { text: '#475569', grid: '#e2e8f0' },
  dark: { text: '#cbd5e1', grid: '#283149' },
};

/**
 * Text (or a mark a reader must see) on a background, with the ratio it must reach: 4.5 for
 * text (WCAG AA), 3 for lines, bars and large text (WCAG 1.4.11 non-text contrast).
 */
export const CONTRAST_PAIRS: [foreground: TokenName, background: TokenName, minimum: number][] = [
  ['app-text', 'app-bg', 4.5],
  ['app-text', 'surface', 4.5],
  ['app-text', 'surface-subtle', 4.5],
  ['app-text', 'surface-muted', 4.5],
  ['app-text', 'surface-warm', 4.5],
  ['app-muted', 'app-bg', 4.5],
  ['app-muted', 'surface', 4.5],
  ['app-muted', 'surface-subtle', 4.5],
  ['link', 'surface', 4.5],
  ['link', 'app-bg', 4.5],
  ['sidebar-text', 'sidebar-bg', 4.5],
  ['sidebar-muted', 'sidebar-bg', 4.5],
  ['sidebar-text', 'sidebar-hover', 4.5],
  ['sidebar-text', 'sidebar-active', 4.5],
  ['warn-text', 'warn-bg', 4.5],
  ['danger-text', 'surface', 4.5],
  ['danger-text', 'app-bg', 4.5],
  ['ok', 'surface', 3],
  ['ok-text', 'ok-bg', 4.5],
  ['info-text', 'info-bg', 4.5],
  ['caution-text', 'caution-bg', 4.5],
  ['danger-strong-text', 'danger-bg', 4.5],
  ['neutral-text', 'neutral-bg', 4.5],
  ['error-text', 'error-bg', 4.5],
  ['code-text', 'code-bg', 4.5],
  ['bar-warn', 'surface', 3],
  ['bar-danger', 'surface', 3],
  ['app-text', 'highlight', 4.5],
];

const KEY = 'warden.theme';

/** The theme someone chose with the toggle, if any; otherwise the system's is followed. */
export function storedTheme(
  storage: Pick<Storage, 'getItem'> = localStorage,
): ThemeName | undefined {
  try {
    const value = storage.getItem(KEY);
    return value === 'light' || value === 'dark' ? value : undefined;
  } catch {
    return undefined;
  }
}

export function rememberTheme(
  theme: ThemeName | undefined,
  storage: Pick<Storage, 'setItem' | 'removeItem'> = localStorage,
): void {
  try {
    if (theme) storage.setItem(KEY, theme);
    else storage.removeItem(KEY);
  } catch {
    // Private mode without storage: the choice lasts for this page only.
  }
}

/** Sets every token on the root element and the class PrimeVue's dark preset keys on. */
export function applyTheme(theme: ThemeName, root: HTMLElement = document.documentElement): void {
  for (const name of TOKEN_NAMES) root.style.setProperty(`--${name}`, THEME_TOKENS[theme][name]);
  root.classList.toggle('app-dark', theme === 'dark');
  root.style.colorScheme = theme;
  root.dataset.theme = theme;
}

/** WCAG 2.x relative luminance of a #rrggbb colour. */
export function luminance(hex: string): number {
  const match = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  if (!match) throw new Error(`${hex} is not a #rrggbb colour`);
  const [r, g, b] = match.slice(1).map((part) => {
    const c = parseInt(part, 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

export function contrastRatio(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}
