// Screenshots of every page at desktop (1280px) and phone (390px) width, for a look by eye.
// Needs Chromium (Debian: apt-get install chromium) and a running server.
//   QIXIE_URL=http://127.0.0.1:8080 QIXIE_ACCOUNT=admin QIXIE_PASSWORD=... node scripts/screenshots.mjs
// Pictures go to web/screenshots/ (not committed). Console errors of the pages are printed.
import { chromium } from 'playwright-core';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const BASE = process.env.QIXIE_URL ?? 'http://127.0.0.1:8080';
const ACCOUNT = process.env.QIXIE_ACCOUNT ?? 'admin';
const PASSWORD = process.env.QIXIE_PASSWORD ?? 'qixie2024';
const LANG = process.env.QIXIE_LANG ?? 'zh-CN';
const OUT = fileURLToPath(new URL('../screenshots/', import.meta.url));
const ONLY = process.env.QIXIE_PAGES?.split(',');

const PAGES = ['/chat', '/contacts', '/me', '/admin', '/admin/departments', '/admin/members', '/admin/import', '/admin/export', '/admin/tags', '/admin/roles', '/admin/apps', '/admin/audit', '/admin/security', '/admin/messaging', '/approvals', '/approvals/new', '/admin/approvals', '/admin/approvals?tab=stats', '/attendance', '/attendance/month', '/attendance/balances', '/attendance/me/data', '/admin/attendance', '/admin/attendance?tab=results', '/admin/attendance?tab=holidays'];

await mkdir(OUT, { recursive: true });
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});

const name = (w, p) => `${OUT}${w}-${LANG}-${p.replace(/^\//, '').replace(/\//g, '_') || 'root'}.png`;

try {
  for (const width of [1280, 390]) {
    const context = await browser.newContext({
      viewport: { width, height: width > 500 ? 800 : 844 },
      deviceScaleFactor: 1,
      isMobile: width < 500,
      hasTouch: width < 500,
    });
    await context.addInitScript((lang) => localStorage.setItem('qixie.lang', lang), LANG);
    const page = await context.newPage();
    page.on('console', (m) => m.type() === 'error' || m.type() === 'warning' ? console.log(`[${width}] console.${m.type()}: ${m.text().slice(0, 300)}`) : undefined);
    page.on('pageerror', (e) => console.log(`[${width}] pageerror: ${e.message}`));

    await page.goto(`${BASE}/login`, { waitUntil: 'networkidle' });
    await page.screenshot({ path: name(width, page.url().includes('/setup') ? '/setup' : '/login'), fullPage: true });
    if (page.url().includes('/setup')) {
      console.log('server needs set-up; only the wizard was captured');
      await context.close();
      continue;
    }
    await page.locator('[data-testid=login-account] input').fill(ACCOUNT);
    await page.locator('[data-testid=login-password] input').fill(PASSWORD);
    await page.locator('[data-testid=login-submit]').click();
    await page.waitForURL((u) => !u.pathname.startsWith('/login'), { timeout: 10000 });
    await page.waitForLoadState('networkidle');

    for (const p of PAGES) {
      if (ONLY && !ONLY.includes(p)) continue;
      await page.goto(`${BASE}${p}`, { waitUntil: 'networkidle' });
      await page.waitForTimeout(400);
      await page.screenshot({ path: name(width, p), fullPage: true });
    }

    // Messaging: a conversation (the first group in the list, else the first one), its menu, receipts,
    // settings drawer and the search panel. Skipped quietly when the server has no conversations.
    if (!ONLY || ONLY.includes('/chat')) {
      await page.goto(`${BASE}/chat`, { waitUntil: 'networkidle' });
      const items = page.locator('[data-testid=conv-item]');
      if (await items.count()) {
        const group = page.locator('[data-testid=conv-item]', { has: page.locator('.tile') }).first();
        await ((await group.count()) ? group : items.first()).click();
        await page.waitForTimeout(900);
        await page.screenshot({ path: name(width, '/chat-conversation') });
        const bubble = page.locator('[data-testid=message-bubble]').last();
        if (await bubble.count()) {
          // Phones open the menu with a long press; the menu itself is the same.
          if (width < 500) await bubble.dispatchEvent('contextmenu');
          else await bubble.click({ button: 'right' });
          await page.waitForTimeout(300);
          await page.screenshot({ path: name(width, '/chat-menu') });
          await page.keyboard.press('Escape');
          await page.mouse.click(5, 5);
        }
        const receipt = page.locator('[data-testid=receipt-count]').last();
        if (await receipt.count()) {
          await receipt.click();
          await page.waitForTimeout(500);
          await page.screenshot({ path: name(width, '/chat-receipts') });
          await page.keyboard.press('Escape');
        }
        await page.locator('[data-testid=chat-settings]').click();
        await page.waitForTimeout(700);
        await page.screenshot({ path: name(width, '/chat-settings') });
        await page.keyboard.press('Escape');
        await page.waitForTimeout(300);
      }
      await page.goto(`${BASE}/chat`, { waitUntil: 'networkidle' });
      await page.locator('[data-testid=search-open]').click();
      await page.locator('[data-testid=search-input] input').fill(process.env.QIXIE_SEARCH ?? '的');
      await page.waitForTimeout(900);
      await page.screenshot({ path: name(width, '/chat-search') });
    }

    // A few dialogs and drawers.
    await page.goto(`${BASE}/contacts`, { waitUntil: 'networkidle' });
    const row = page.locator('[data-testid^=member-row-]').first();
    if (await row.count()) {
      await row.click();
      await page.waitForTimeout(600);
      await page.screenshot({ path: name(width, '/contacts-card') });
    }
    await page.goto(`${BASE}/admin/members`, { waitUntil: 'networkidle' });
    await page.locator('[data-testid=member-add]').click();
    await page.waitForTimeout(500);
    await page.screenshot({ path: name(width, '/admin-members-add') });
    await context.close();
  }
} finally {
  await browser.close();
}
console.log('screenshots in', OUT);
