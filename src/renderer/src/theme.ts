import { definePreset } from '@primeuix/themes'
import Aura from '@primeuix/themes/aura'
import { onScopeDispose, ref } from 'vue'

/** PrimeVue's Aura with the app's accent; dark or light follows the operating system. */
export const APP_THEME = {
  preset: definePreset(Aura, {
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
        950: '{indigo.950}'
      },
      // Aura's primary.500 on white is 4.46:1; one shade darker passes WCAG AA (4.5:1) for links and buttons.
      colorScheme: {
        light: {
          primary: { color: '{primary.600}', contrastColor: '#ffffff', hoverColor: '{primary.700}', activeColor: '{primary.800}' },
          highlight: { background: '{primary.50}', focusBackground: '{primary.100}', color: '{primary.800}', focusColor: '{primary.800}' },
          // Muted text stays readable (4.5:1) on the tinted backgrounds of cards and previews, not only on white.
          text: { mutedColor: '{surface.600}' }
        }
      }
    },
    // Unselected toggle labels in Aura's light grey fall under 4.5:1.
    components: {
      togglebutton: { colorScheme: { light: { root: { color: '{surface.600}' }, icon: { color: '{surface.600}' } } } }
    }
  }),
  options: { darkModeSelector: '.app-dark', cssLayer: false }
}

const query = () => window.matchMedia('(prefers-color-scheme: dark)')

/** Whether the OS asks for dark: kept on <html> as `app-dark` (PrimeVue's selector and the app's CSS read it). */
export function useOsDarkMode() {
  const dark = ref(query().matches)
  const apply = () => {
    dark.value = query().matches
    document.documentElement.classList.toggle('app-dark', dark.value)
  }
  apply()
  const media = query()
  media.addEventListener('change', apply)
  onScopeDispose(() => media.removeEventListener('change', apply))
  return dark
}
