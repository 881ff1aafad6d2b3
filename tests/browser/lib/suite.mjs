// Per-file set-up: one fresh server and one browser for the tests of a file, both closed at the
// end whatever happened (also when only one of them could be started).
import { after, before } from 'node:test';
import { launchBrowser } from './browser.mjs';
import { startServer } from './server.mjs';

/**
 * Registers before/after hooks and returns an object whose `server` and `browser` are set once the
 * `before` hook has run. `options` go to startServer (e.g. `{ init: { corpName, account, password } }`);
 * `prepare(server)`, when given, runs next in the same hook (Node does not wait for one top-level
 * `before` hook before starting the next), and what it returns is kept as `env.data`.
 */
export function serverAndBrowser({ prepare, ...options } = {}) {
  const env = { server: null, browser: null, data: null };
  before(async () => {
    const [server, browser] = await Promise.allSettled([startServer(options), launchBrowser()]);
    if (server.status === 'fulfilled') env.server = server.value;
    if (browser.status === 'fulfilled') env.browser = browser.value;
    if (server.status === 'rejected') throw server.reason;
    if (browser.status === 'rejected') throw browser.reason;
    if (prepare) env.data = await prepare(env.server);
  });
  after(async () => {
    // A browser that does not close within a while is killed by playwright when the process exits.
    await Promise.race([env.browser?.close(), new Promise((resolve) => setTimeout(resolve, 10_000).unref())]);
    await env.server?.stop();
  });
  return env;
}
