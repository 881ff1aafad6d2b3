// On a phone (390×844) the directory is usable: bottom tab bar, drill-down through departments,
// search, a member's card, and no sideways scrolling.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { apiLogin } from './lib/api.mjs';
import { PHONE, withPages } from './lib/browser.mjs';
import { serverAndBrowser } from './lib/suite.mjs';
import { field, onPath, signIn, textOf, tid } from './lib/ui.mjs';

const ADMIN = { account: 'admin', password: 'Qixie2026ok' };
const env = serverAndBrowser({
  init: { corpName: '测试集团', ...ADMIN, name: '系统管理员' },
  prepare: async (server) => {
    const api = await apiLogin(server, ADMIN.account, ADMIN.password);
    const east = await api.createDepartment('华东子公司', 1);
    const rd = await api.createDepartment('研发部', east.id);
    await api.createMember('wulei', '吴磊', [rd.id], 'Initial2026', { position: '前端工程师', mobile: '13700000001', email: 'wulei@example.com' });
    await api.createMember('zhengjie', '郑洁', [rd.id], 'Initial2026', { position: '测试工程师', mobile: '13700000002' });
    await api.createMember('chenjing', '陈静', [east.id], 'Initial2026', { position: '总经理', mobile: '13700000003' });
    return { east: east.id, rd: rd.id };
  },
});

/** Fails when the page is wider than the screen (sideways scrolling). */
async function assertFitsWidth(page) {
  const { scroll, width } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, width: window.innerWidth }));
  assert.ok(scroll <= width, `the page is ${scroll}px wide on a ${width}px screen`);
}

test('on a phone the directory has a bottom tab bar, drills down by department and opens a member card', async (t) => {
  await withPages(
    t,
    env.browser,
    env.server,
    async ({ page }) => {
      await page.goto('/login');
      await assertFitsWidth(page);
      await signIn(page, ADMIN.account, ADMIN.password);
      await page.waitForURL(onPath('/contacts'));

      // The phone layout: a title bar and a tab bar fixed at the bottom of the screen.
      const tabbar = page.locator(tid('tabbar'));
      await tabbar.waitFor();
      const box = await tabbar.boundingBox();
      assert.ok(box && Math.abs(box.y + box.height - 844) <= 1 && box.width === 390, `tab bar at the bottom: ${JSON.stringify(box)}`);
      assert.deepEqual((await tabbar.locator('button').allInnerTexts()).map((s) => s.trim()), ['消息', '通讯录', '审批', '考勤', '管理', '我']);
      assert.equal(await page.locator(tid('nav-contacts')).count(), 0, 'no desktop side menu');
      await page.getByRole('heading', { name: '通讯录' }).waitFor();

      // Drill down: the enterprise, then 华东子公司, then 研发部.
      await page.locator(tid(`dept-node-${env.data.east}`)).getByText('华东子公司').waitFor();
      await page.locator(tid('member-row-admin')).waitFor();
      await page.locator(tid(`dept-node-${env.data.east}`)).tap();
      await page.locator(tid('dept-crumbs'), { hasText: '华东子公司' }).waitFor();
      await page.locator(tid('member-row-chenjing')).waitFor();
      await page.locator(tid(`dept-node-${env.data.rd}`)).tap();
      await page.locator(tid('dept-crumbs'), { hasText: '研发部' }).waitFor();
      assert.match(await textOf(page, 'dept-crumbs'), /测试集团\s*华东子公司\s*研发部/);
      const list = page.locator(tid('contacts-list'));
      await list.locator(tid('member-row-wulei')).waitFor();
      assert.match(await list.locator(tid('member-row-wulei')).innerText(), /吴磊\s*前端工程师 · 研发部/);
      await list.locator(tid('member-row-zhengjie')).waitFor();
      await assertFitsWidth(page);

      // A member's card opens from the bottom with the contact details.
      await list.locator(tid('member-row-wulei')).tap();
      const card = page.locator(tid('member-card'));
      await card.waitFor();
      assert.equal(await textOf(page, 'member-card-name'), '吴磊');
      await card.getByText('前端工程师').waitFor();
      assert.equal(await card.getByRole('link', { name: '13700000001' }).getAttribute('href'), 'tel:13700000001');
      assert.equal(await card.getByRole('link', { name: 'wulei@example.com' }).getAttribute('href'), 'mailto:wulei@example.com');
      const cardBox = await card.boundingBox();
      assert.ok(cardBox && cardBox.x >= 0 && cardBox.x + cardBox.width <= 390, `the card fits the screen: ${JSON.stringify(cardBox)}`);
      // It closes with a tap on the dimmed page above it.
      await page.locator('.t-drawer__mask').tap({ position: { x: 195, y: 40 } });
      await card.waitFor({ state: 'detached' });

      // Search by pinyin initials.
      await page.fill(field('contacts-search'), 'zj');
      await page.getByText('搜索结果：1 人').waitFor();
      await list.locator(tid('member-row-zhengjie')).waitFor();
      assert.equal(await list.locator('[data-testid^="member-row-"]').count(), 1);

      // The other tabs.
      await page.locator(tid('tab-me')).tap();
      await page.waitForURL(onPath('/me'));
      await page.getByText('系统管理员').first().waitFor();
      await page.locator(tid('tab-admin')).tap();
      await page.waitForURL(onPath('/admin'));
      await page.locator(tid('admin-card-members')).tap();
      await page.waitForURL(onPath('/admin/members'));
      await page.locator(tid('member-row-wulei')).waitFor();
      await assertFitsWidth(page);
      await page.locator(tid('phone-back')).tap();
      await page.waitForURL(onPath('/admin'));
      await page.locator(tid('tab-contacts')).tap();
      await page.waitForURL(onPath('/contacts'));
      await page.locator(tid(`dept-node-${env.data.east}`)).waitFor();
    },
    PHONE,
  );
});
