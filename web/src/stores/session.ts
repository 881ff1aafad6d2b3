import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { Router } from 'vue-router';
import { ApiError, authApi, meApi, setupApi } from '@/api';
import type { LoginRequest, Me, Member, Permission, SetupStatus } from '@/api';
import { configureClient } from '@/api/client';
import { currentLang, t } from '@/i18n';

export const useSessionStore = defineStore('session', () => {
  const me = ref<Me | null>(null);
  const csrf = ref<string | null>(null);
  const loaded = ref(false);
  const setup = ref<SetupStatus | null>(null);

  const user = computed<Member | null>(() => me.value?.user ?? null);
  const isSuperAdmin = computed(() => !!me.value?.is_super_admin);
  const isAdmin = computed(() => isSuperAdmin.value || (me.value?.permissions.length ?? 0) > 0);
  const mustChangePassword = computed(() => !!me.value?.must_change_password);

  function can(p: Permission): boolean {
    return isSuperAdmin.value || !!me.value?.permissions.includes(p);
  }

  function apply(value: Me) {
    me.value = value;
    csrf.value = value.csrf_token ?? csrf.value;
  }

  /** Loads the current session; a 401 simply means "signed out". */
  async function load(): Promise<Me | null> {
    try {
      apply(await meApi.get());
    } catch (e) {
      me.value = null;
      if (!(e instanceof ApiError) || e.status !== 401) {
        loaded.value = true;
        throw e;
      }
    }
    loaded.value = true;
    return me.value;
  }

  async function setupStatus(force = false): Promise<SetupStatus> {
    if (!setup.value || force) setup.value = await setupApi.status();
    return setup.value;
  }

  async function login(req: LoginRequest) {
    const res = await authApi.login(req);
    csrf.value = res.csrf_token;
    await load();
    return res;
  }

  async function logout() {
    try {
      await authApi.logout();
    } finally {
      clear();
    }
  }

  function clear() {
    me.value = null;
    csrf.value = null;
    loaded.value = true;
  }

  function setUser(u: Member) {
    if (me.value) me.value = { ...me.value, user: u };
  }

  return { me, csrf, loaded, setup, user, isSuperAdmin, isAdmin, mustChangePassword, can, load, setupStatus, login, logout, clear, setUser };
});

/** Wires the API client to the session store, the language and the router. */
export function installApiHooks(router: Router): void {
  const session = useSessionStore();
  configureClient({
    locale: () => currentLang(),
    csrfToken: () => session.csrf,
    fallbackMessage: (kind, status) => (kind === 'network' ? t('error.network') : t('error.status', { status })),
    onUnauthorized: () => {
      session.clear();
      const cur = router.currentRoute.value;
      if (cur.meta.public) return;
      router.replace({ name: 'login', query: cur.fullPath && cur.fullPath !== '/' ? { redirect: cur.fullPath } : {} });
    },
  });
}
