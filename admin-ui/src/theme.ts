/** The app's look: PrimeVue's Aura preset with an indigo primary, light or dark. */
import { definePreset } from '@primeuix/themes';
import Aura from '@primeuix/themes/aura';

const WardenPreset = definePreset(Aura, {
  semantic: {
    primary: {
      50: '{indigo.50}',
      100: '{indigo.100}',
      200: '{indigo.200}',
      300: '{indigo.300}',
      400: '{indigo.400}',
      500: '{indigo.500}',
      600: '{indigo.600}',
      700: '{indigo.700}',
      800: '{indigo.800}',
      900: '{indigo.900}',
      950: '{indigo.950}',
    },
  },
});

export const wardenTheme = {
  preset: WardenPreset,
  // PrimeVue's dark palette follows the class the theme store sets on <html> (theme-tokens.ts).
  options: { darkModeSelector: '.app-dark', cssLayer: false as const },
};
