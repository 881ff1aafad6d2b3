/// <reference types="vite/client" />
import 'vue-router';
import type { Permission } from '@/api/types';

declare module 'vue-router' {
  interface RouteMeta {
    /** Reachable without a session. */
    public?: boolean;
    /** i18n key of the page title. */
    title?: string;
    /** Any administrator permission needed. */
    admin?: boolean;
    /** The permission a page of the admin console needs. */
    permission?: Permission;
    /** Shown while the password must be changed. */
    allowWhilePasswordExpired?: boolean;
    /** The page fills the content area edge to edge (no padding, no page scroll). */
    bleed?: boolean;
    /** On phones: the route the header's back arrow leads to (and whose tab stays lit). */
    back?: string;
  }
}
