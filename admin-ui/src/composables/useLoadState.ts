/** Runs a loader on mount and exposes loading / error / retry for a view's states. */
import { onMounted, ref } from 'vue';

export function useLoadState(loader: () => Promise<unknown>, { immediate = true } = {}) {
  const loading = ref(false);
  const error = ref<string | undefined>();

  async function run(): Promise<void> {
    loading.value = true;
    error.value = undefined;
    try {
      await loader();
    } catch (caught) {
      error.value = caught instanceof Error ? caught.message : String(caught);
    } finally {
      loading.value = false;
    }
  }

  if (immediate) onMounted(() => void run());
  return { loading, error, run };
}
