// Starts a fresh Qixie server for a test: its own data directory, a free port, fast password
// hashing. The server is always stopped and its data removed, even when the test fails or the
// runner exits early.
import { spawn, execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
// The binary `cargo build -p qixie` made: in CARGO_TARGET_DIR when that is set, as run.sh builds it.
export const BIN = process.env.QIXIE_BIN ?? path.join(process.env.CARGO_TARGET_DIR ?? path.join(ROOT, 'target'), 'debug/qixie');

const running = new Set();
process.on('exit', () => {
  for (const child of running) {
    try {
      child.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
});

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const delay = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts `qixie serve`. With `init`, an enterprise is created first through `qixie init`
 * (`{ corpName, account, password, name? }`), so the wizard is skipped. `settings` are further
 * QIXIE_* variables for the server (limits a test must lift, for instance).
 * Returns `{ url, corpId, corpName, dataDir, log(), stop() }`.
 */
export async function startServer({ init, settings = {} } = {}) {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'qixie-browser-'));
  try {
    return await start(dataDir, init, settings);
  } catch (e) {
    await rm(dataDir, { recursive: true, force: true });
    throw e;
  }
}

async function start(dataDir, init, settings) {
  const port = await freePort();
  // The server refuses QIXIE_* variables it does not know (QIXIE_BIN, QIXIE_TEST_PG_URL, ...), and
  // none of the caller's settings (database, config file) may leak in: only these are passed on.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('QIXIE_')));
  Object.assign(env, {
    QIXIE_DATA_DIR: dataDir,
    QIXIE_LISTEN: `127.0.0.1:${port}`,
    QIXIE_FAST_HASH: '1',
    QIXIE_LOG: process.env.QIXIE_LOG ?? 'warn',
    ...settings,
  });

  let corpId = null;
  if (init) {
    const args = ['init', '--corp-name', init.corpName, '--admin-account', init.account, '--admin-password', init.password];
    if (init.name) args.push('--admin-name', init.name);
    const { stdout } = await run(BIN, args, { env, timeout: 60_000 });
    corpId = JSON.parse(stdout.trim().split('\n').pop()).corp_id;
  }

  const child = spawn(BIN, ['serve'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let output = '';
  const keep = (chunk) => {
    output = (output + chunk.toString()).slice(-20000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let exited = null;
  const exit = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      exited = { code, signal };
      running.delete(child);
      resolve();
    });
    child.on('error', (error) => {
      exited = { error: error.message };
      running.delete(child);
      resolve();
    });
  });

  async function stop() {
    if (!exited) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => !exited && child.kill('SIGKILL'), 5000);
      await exit;
      clearTimeout(timer);
    }
    await rm(dataDir, { recursive: true, force: true });
  }

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) throw new Error(`qixie serve exited (${JSON.stringify(exited)}) before it was ready:\n${output}`);
    try {
      const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) });
      if (res.ok) break;
    } catch {
      /* not listening (or answering) yet */
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`qixie serve did not answer /healthz within 60 s:\n${output}`);
    }
    await delay(100);
  }

  return { url, corpId, corpName: init?.corpName ?? null, dataDir, log: () => output, stop };
}
