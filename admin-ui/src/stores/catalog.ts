/** The workflow catalog the workers registered: ids, names and timeouts. */
import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { WorkflowInfo } from '../api/types';
import { api } from '../services';

export const useCatalogStore = defineStore('catalog', () => {
  const workflows = ref<WorkflowInfo[]>([]);
  const loaded = ref(false);
  const loading = ref(false);
  const error = ref<string | undefined>();

  async function load(): Promise<void> {
    loading.value = true;
    try {
      workflows.value = (await api().listWorkflows()).sort((a, b) => a.id.localeCompare(b.id));
      loaded.value = true;
      error.value = undefined;
    } catch (caught) {
      error.value = caught instanceof Error ? caught.message : String(caught);
      throw caught;
    } finally {
      loading.value = false;
    }
  }

  async function ensureLoaded(): Promise<void> {
    if (!loaded.value && !loading.value) await load().catch(() => undefined);
  }

  const nameOf = (workflowId: string): string =>
    workflows.value.find((w) => w.id === workflowId)?.name ?? workflowId;

  return { workflows, loaded, loading, error, load, ensureLoaded, nameOf };
});
