// Drives the main flows in headless Chromium against a server that still needs set-up:
// wizard → sign-in → departments (create, refused move) → members (add, generated password) →
// import dry run → language switch. Exits non-zero on the first failure.
//   QIXIE_URL=http://127.0.0.1:8080 node scripts/smoke.mjs
import { chromium } from 'playwright-core';

const BASE = process.env.QIXIE_URL ?? 'http://127.0.0.1:8080';
const WIDTH = Number(process.env.QIXIE_WIDTH ?? 1280);
const id = (t) => `[data-testid="${t}"]`;
const input = (t) => `${id(t)} input`;
const step = (s) => console.log('•', s);

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const context = await browser.newContext({ viewport: { width: WIDTH, height: 900 } });
const page = await context.newPage();
const errors = [];
page.on('pageerror', (e) => errors.push(e.message));
page.on('console', (m) => m.type() === 'warning' && m.text().includes('Vue warn') && errors.push(m.text()));

async function pick(selectTestId, optionText) {
  await page.click(id(selectTestId));
  await page.locator('.t-select-option', { hasText: optionText }).first().click();
}

try {
  step('set-up wizard');
  await page.goto(`${BASE}/`);
  await page.waitForURL(/\/setup/);
  await page.click(id('setup-next'));
  await page.locator('.t-form__item .t-is-error').first().waitFor();
  await page.fill(input('setup-corp-name'), '测试科技有限公司');
  await pick('setup-industry', '制造业');
  await pick('setup-size', '21–100');
  await page.click(id('setup-next'));
  await page.fill(input('setup-admin-name'), '管理员');
  await page.fill(input('setup-admin-account'), 'boss');
  await page.fill(input('setup-admin-password'), 'boss');
  if ((await page.locator(`${id('password-policy')} li[data-ok=true]`).count()) !== 0) throw new Error('policy hint should fail a weak password');
  await page.fill(input('setup-admin-password'), 'Qixie2024go');
  await page.fill(input('setup-admin-password-confirm'), 'Qixie2024go');
  if ((await page.locator(`${id('password-policy')} li[data-ok=true]`).count()) !== 3) throw new Error('policy hint should pass');
  await page.click(id('setup-submit'));
  await page.locator(id('setup-done')).waitFor();
  await page.click(id('setup-done-login'));
  await page.waitForURL(/\/login/);

  step('sign-in failure, then success');
  await page.fill(input('login-account'), 'boss');
  await page.fill(input('login-password'), 'wrong-password1');
  await page.click(id('login-submit'));
  await page.locator(id('login-error')).waitFor();
  await page.fill(input('login-password'), 'Qixie2024go');
  await page.click(id('login-submit'));
  await page.waitForURL(/\/contacts/);

  step('departments: create a child and refuse a move into its own subtree');
  await page.goto(`${BASE}/admin/departments`);
  await page.locator(id('dept-node-1')).waitFor();
  await page.click(id('dept-create-child'));
  await page.fill(input('dept-name-input'), '研发部');
  await page.click(id('dept-dialog-ok'));
  await page.locator(id('dept-detail-name'), { hasText: '研发部' }).waitFor();
  await page.click(id('dept-create-child'));
  await page.fill(input('dept-name-input'), '后端组');
  await page.click(id('dept-dialog-ok'));
  await page.locator(id('dept-detail-name'), { hasText: '后端组' }).waitFor();
  await page.locator('[data-testid^=dept-node-]', { hasText: '研发部' }).click();
  await page.locator(id('dept-detail-name'), { hasText: '研发部' }).waitFor();
  await page.click(id('dept-move'));
  await page.click(id('dept-parent-select'));
  await page.locator('.t-tree__label', { hasText: '后端组' }).last().click();
  await page.click(id('dept-dialog-ok'));
  const refused = page.locator('.t-message.t-is-error');
  await refused.first().waitFor();
  console.log('  409 shown:', (await refused.first().innerText()).trim());
  await page.keyboard.press('Escape');

  step('members: add one and see the generated password once');
  await page.goto(`${BASE}/admin/members`);
  await page.click(id('member-add'));
  await page.fill(input('member-form-name'), '张三');
  await page.fill(input('member-form-userid'), 'zhangsan');
  await page.click(id('member-form-departments'));
  await page.locator('.t-tree__label', { hasText: '研发部' }).last().click();
  await page.locator('.t-dialog__header', { hasText: '添加成员' }).click();
  await page.fill(input('member-form-mobile'), '13800000000');
  await page.click(id('member-form-ok'));
  await page.locator(id('secret-value')).waitFor();
  console.log('  initial password:', await page.locator(id('secret-value')).innerText());
  await page.click(id('secret-dialog-ok'));
  await page.locator(id('member-row-zhangsan')).waitFor();

  step('import: dry run shows the per-row report');
  await page.goto(`${BASE}/admin/import`);
  await page.setInputFiles(id('import-file'), {
    name: 'people.csv',
    mimeType: 'text/csv',
    buffer: Buffer.from('姓名,帐号,工号,手机\n李四,lisi,A2,13900000000\n王五,,A3,123\n', 'utf8'),
  });
  await page.click(id('import-dry-run'));
  await page.locator(id('import-report')).waitFor();
  console.log('  report rows:', await page.locator(`${id('import-report')} tbody tr`).count());

  step('language switch');
  await page.click(id('lang-en'));
  await page.locator('text=Check file').waitFor();
  await page.reload();
  await page.locator('text=Check file').waitFor();

  if (errors.length) throw new Error('page errors:\n' + errors.join('\n'));
  console.log('smoke passed');
} catch (e) {
  await page.screenshot({ path: 'smoke-failure.png', fullPage: true });
  console.error('smoke failed:', e.message, '(see smoke-failure.png)');
  process.exitCode = 1;
} finally {
  await browser.close();
}
