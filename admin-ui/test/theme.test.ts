import { describe, expect, it } from 'vitest';
import {
  CHART_AXIS,
  CHART_SERIES,
  CONTRAST_PAIRS,
  THEME_TOKENS,
  TOKEN_NAMES,
  applyTheme,
  contrastRatio,
  rememberTheme,
  storedTheme,
  type ThemeName,
} from '../src/theme-tokens';

const THEMES: ThemeName[] = ['light', 'dark'];

describe('theme colours keep WCAG AA contrast in both themes', () => {
  it('computes the WCAG ratio (black on white is 21, equal colours 1)', () => {
    expect(contrastRatio('#000000', '#ffffff')).toBeCloseTo(21, 5);
    expect(contrastRatio('#777777', '#777777')).toBe(1);
    // A published reference: #767676 on white is the lightest grey that passes AA (4.54).
    expect(contrastRatio('#767676', '#ffffff')).toBeCloseTo(4.54, 2);
  });

  it.each(THEMES)('every text and status colour of the %s theme reaches its minimum', (theme) => {
    const tokens = THEME_TOKENS[theme];
    const failing = CONTRAST_PAIRS.map(([fg, bg, minimum]) => ({
      pair: `${fg} on ${bg}`,
      ratio: Number(contrastRatio(tokens[fg], tokens[bg]).toFixed(2)),
      minimum,
    })).filter(({ ratio, minimum }) => ratio < minimum);
    expect(failing).toEqual([]);
  });

  it.each(THEMES)('chart lines and axis labels of the %s theme read on its surface', (theme) => {
    const surface = THEME_TOKENS[theme].surface;
    for (const colour of CHART_SERIES[theme]) {
      expect(contrastRatio(colour, surface), colour).toBeGreaterThanOrEqual(3);
    }
    expect(contrastRatio(CHART_AXIS[theme].text, surface)).toBeGreaterThanOrEqual(4.5);
  });

  it('defines every token in both themes', () => {
    for (const theme of THEMES) {
      expect(Object.keys(THEME_TOKENS[theme]).sort()).toEqual([...TOKEN_NAMES].sort());
    }
  });
});

describe('applying and remembering the theme', () => {
  it('sets every token and the dark class on the root element', () => {
    const root = document.createElement('html');
    applyTheme('dark', root);
    expect(root.classList.contains('app-dark')).toBe(true);
    expect(root.style.getPropertyValue('--app-bg')).toBe(THEME_TOKENS.dark['app-bg']);
    applyTheme('light', root);
    expect(root.classList.contains('app-dark')).toBe(false);
    expect(root.style.getPropertyValue('--surface')).toBe(THEME_TOKENS.light.surface);
  });

  it('remembers a choice and forgets it to follow the system again', () => {
    rememberTheme('dark');
    expect(storedTheme()).toBe('dark');
    rememberTheme(undefined);
    expect(storedTheme()).toBeUndefined();
    localStorage.setItem('warden.theme', 'purple');
    expect(storedTheme()).toBeUndefined();
  });
});
