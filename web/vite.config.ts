import { defineConfig } from 'vitest/config';
import type { Plugin } from 'vite';
import vue from '@vitejs/plugin-vue';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath, URL } from 'node:url';

/** Emits src/pwa/sw.js as /sw.js, stamped with a hash of the bundle so each release starts a fresh cache. */
function serviceWorker(): Plugin {
  const source = fileURLToPath(new URL('./src/pwa/sw.js', import.meta.url));
  return {
    name: 'qixie-service-worker',
    apply: 'build',
    generateBundle(_options, bundle) {
      const id = createHash('sha256').update(Object.keys(bundle).sort().join('\n')).digest('hex').slice(0, 12);
      this.emitFile({ type: 'asset', fileName: 'sw.js', source: readFileSync(source, 'utf8').replace('__BUILD_ID__', id) });
    },
  };
}

const server = process.env.QIXIE_SERVER ?? 'http://127.0.0.1:8080';

export default defineConfig({
  base: '/',
  plugins: [vue(), serviceWorker()],
  define: {
    __VUE_I18N_FULL_INSTALL__: true,
    __VUE_I18N_LEGACY_API__: false,
    __INTLIFY_PROD_DEVTOOLS__: false,
  },
  resolve: {
    alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) },
  },
  server: {
    proxy: {
      // ws: the realtime WebSocket (/api/v1/realtime) goes through the same proxy.
      '/api': { target: server, changeOrigin: false, ws: true },
      '/cgi-bin': { target: server, changeOrigin: false },
    },
  },
  preview: {
    proxy: {
      '/api': { target: server, changeOrigin: false, ws: true },
    },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 800,
    rollupOptions: {
      output: {
        // Vue and friends in one long-lived chunk; TDesign modules go where they are used.
        manualChunks(id) {
          if (/node_modules\/(@vue|vue|vue-router|pinia|vue-i18n|@intlify)\//.test(id)) return 'vendor';
          return undefined;
        },
      },
    },
  },
  test: {
    environment: 'node',
    include: ['tests/**/*.spec.ts'],
  },
});
