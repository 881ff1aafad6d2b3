import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { adminApi, directoryApi } from '@/api';
import type { Department } from '@/api';
import { buildDeptTree } from '@/utils/tree';

/** The department list, loaded once per view of the directory or of the admin scope. */
function makeStore(id: string, fetcher: () => Promise<{ items: Department[] }>) {
  return defineStore(id, () => {
    const items = ref<Department[]>([]);
    const loading = ref(false);
    const loaded = ref(false);
    const tree = computed(() => buildDeptTree(items.value));
    const byId = computed(() => new Map(items.value.map((d) => [d.id, d])));

    async function load(force = false) {
      if (loaded.value && !force) return;
      loading.value = true;
      try {
        items.value = (await fetcher()).items;
        loaded.value = true;
      } finally {
        loading.value = false;
      }
    }

    function name(id: number | null | undefined): string {
      return id == null ? '' : (byId.value.get(id)?.name ?? '');
    }

    function reset() {
      items.value = [];
      loaded.value = false;
    }

    return { items, loading, loaded, tree, byId, load, name, reset };
  });
}

export const useDirectoryDepartments = makeStore('directoryDepartments', () => directoryApi.departments());
export const useAdminDepartments = makeStore('adminDepartments', () => adminApi.departments());
