// Debian's Chromium driven by playwright-core, one browser per test file and a fresh context per
// person. When a test fails, every open page is saved as a screenshot under artifacts/, next to
// the tail of the server's log.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const ARTIFACTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../artifacts');

export const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };
export const DESKTOP = { viewport: { width: 1366, height: 900 } };

/** How long one wait for the page may take; the debug server on a busy machine can be slow. */
const STEP_TIMEOUT = Number(process.env.QIXIE_STEP_TIMEOUT ?? 20_000);

export function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

function slug(s) {
  return s.replace(/[^\p{L}\p{N}]+/gu, '-').replace(/^-|-$/g, '').slice(0, 80) || 'test';
}

/**
 * Runs `fn({ page, open })` for one test: `page` is a fresh desktop page (or `options`), `open(opts)`
 * opens another person's page in a separate context (its own cookies and storage). Uncaught page
 * errors fail the test. Contexts are closed afterwards whatever happens.
 */
export async function withPages(t, browser, server, fn, options = DESKTOP) {
  const contexts = [];
  const pageErrors = [];
  async function open(opts = DESKTOP) {
    const context = await browser.newContext({ baseURL: server.url, serviceWorkers: 'block', locale: 'zh-CN', ...opts });
    context.setDefaultTimeout(STEP_TIMEOUT);
    context.setDefaultNavigationTimeout(STEP_TIMEOUT);
    contexts.push(context);
    const page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(`${page.url()}: ${e.message}`));
    return page;
  }
  try {
    const page = await open(options);
    await fn({ page, open });
    if (pageErrors.length) throw new Error(`uncaught errors in the page:\n${pageErrors.join('\n')}`);
  } catch (e) {
    await saveArtifacts(t.name, contexts, server).catch((err) => console.error('could not save artifacts:', err));
    throw e;
  } finally {
    await Promise.all(contexts.map((c) => c.close().catch(() => undefined)));
  }
}

/** With QIXIE_SCREENSHOTS=1, saves each named page under artifacts/ for a person to look at. */
export async function saveScreenshots(prefix, pages) {
  if (!process.env.QIXIE_SCREENSHOTS) return;
  await mkdir(ARTIFACTS, { recursive: true });
  for (const [name, page] of Object.entries(pages)) {
    await page.screenshot({ path: path.join(ARTIFACTS, `${prefix}-${name}.png`), fullPage: true });
  }
}

async function saveArtifacts(name, contexts, server) {
  await mkdir(ARTIFACTS, { recursive: true });
  const base = slug(name);
  let i = 0;
  for (const context of contexts) {
    for (const page of context.pages()) {
      i += 1;
      const file = path.join(ARTIFACTS, `${base}-${i}.png`);
      await page.screenshot({ path: file, fullPage: true, timeout: 5000 }).catch(() => undefined);
      console.error(`screenshot: ${path.relative(process.cwd(), file)} (${page.url()})`);
    }
  }
  if (server?.log) await writeFile(path.join(ARTIFACTS, `${base}-server.log`), server.log());
}
