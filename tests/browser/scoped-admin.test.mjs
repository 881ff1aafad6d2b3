// An administrator whose contacts.manage permission is scoped to one subsidiary sees and manages
// only that subtree in the admin console; the rest of the enterprise stays out of reach.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { apiLogin } from './lib/api.mjs';
import { withPages } from './lib/browser.mjs';
import { serverAndBrowser } from './lib/suite.mjs';
import { changePassword, expectTreeOutline, field, onPath, signIn, tid, toast } from './lib/ui.mjs';

const ADMIN = { account: 'admin', password: 'Qixie2026ok' };
const env = serverAndBrowser({
  init: { corpName: '测试集团', ...ADMIN },
  prepare: async (server) => {
    const api = await apiLogin(server, ADMIN.account, ADMIN.password);
    const east = await api.createDepartment('华东子公司', 1);
    const south = await api.createDepartment('华南子公司', 1);
    const eastRd = await api.createDepartment('华东研发部', east.id);
    const southSales = await api.createDepartment('华南销售部', south.id);
    await api.createMember('hr_east', '周敏', [east.id], 'Initial2026', { position: '人事经理' });
    await api.createMember('east_dev', '吴磊', [eastRd.id], 'Initial2026', { mobile: '13700000001' });
    await api.createMember('east_ops', '郑洁', [east.id], 'Initial2026', { mobile: '13700000002' });
    await api.createMember('south_sales', '冯涛', [southSales.id], 'Initial2026', { mobile: '13700000003' });
    await api.createMember('south_head', '陈静', [south.id], 'Initial2026', { mobile: '13700000004' });
    await api.put('/admin/admins/hr_east', { permissions: ['contacts.manage'], scope: { all: false, department_ids: [east.id] } });
    return { east: east.id, south: south.id, eastRd: eastRd.id, southSales: southSales.id };
  },
});

const rowsOf = (page) => page.locator(`${tid('members-table')} tbody tr`);

test('an administrator scoped to one subsidiary sees only its members and departments', async (t) => {
  await withPages(t, env.browser, env.server, async ({ page }) => {
    await signIn(page, 'hr_east', 'Initial2026');
    await page.waitForURL(onPath('/password'));
    await changePassword(page, 'Initial2026', 'HrEast2026ok');

    // The admin console offers only what contacts.manage allows.
    await page.locator(tid('nav-admin')).waitFor();
    for (const allowed of ['departments', 'members', 'export', 'tags']) {
      assert.equal(await page.locator(tid(`nav-admin-${allowed}`)).count(), 1, `the menu offers ${allowed}`);
    }
    for (const denied of ['import', 'roles', 'apps', 'audit', 'security']) {
      assert.equal(await page.locator(tid(`nav-admin-${denied}`)).count(), 0, `the menu hides ${denied}`);
    }
    await page.click(tid('nav-admin'));
    await page.locator(tid('admin-corp')).getByText('你是分级管理员').waitFor();

    // Members: only the three in 华东子公司 and below.
    await page.click(tid('nav-admin-members'));
    await page.waitForURL(onPath('/admin/members'));
    await page.locator(tid('member-row-east_dev')).waitFor();
    await page.getByText('3 人', { exact: true }).waitFor();
    const shown = await page.locator(`${tid('members-table')} [data-testid^="member-row-"]`).evaluateAll((els) => els.map((e) => e.dataset.testid.replace('member-row-', '')).sort());
    assert.deepEqual(shown, ['east_dev', 'east_ops', 'hr_east']);
    assert.equal(await page.locator(tid('members-table')).getByText('冯涛').count(), 0);
    assert.equal(await page.locator(tid('members-table')).getByText('陈静').count(), 0);
    assert.equal(await page.locator(tid('members-table')).getByText('admin').count(), 0);

    // Searching for someone in the other subsidiary finds nobody.
    await page.fill(field('members-search'), '冯涛');
    await page.locator(tid('member-row-east_dev')).waitFor({ state: 'detached' });
    await page.getByText('0 人', { exact: true }).waitFor();
    assert.equal(await rowsOf(page).filter({ has: page.locator('[data-testid^="member-row-"]') }).count(), 0);
    await page.fill(field('members-search'), '');
    await page.locator(tid('member-row-east_dev')).waitFor();

    // Departments: the scoped subtree only, with 华东子公司 as its top.
    await page.click(tid('nav-admin-departments'));
    await page.waitForURL(onPath('/admin/departments'));
    await expectTreeOutline(page, ['华东子公司', '  华东研发部']);
    await page.locator(tid('dept-detail-name'), { hasText: '华东子公司' }).waitFor();
    assert.ok(await page.locator(tid('dept-move')).isDisabled(), 'the top of the scope cannot be moved out of it');
    assert.ok(await page.locator(tid('dept-delete')).isDisabled(), 'the top of the scope cannot be deleted');

    // Pages outside the granted permissions are not reachable by address either.
    await page.goto('/admin/roles');
    await page.waitForURL(onPath('/admin'));
    await page.locator(tid('admin-corp')).waitFor();
    await page.goto('/admin/import');
    await page.waitForURL(onPath('/admin'));

    // While hr_east looks at the list, the super administrator moves 郑洁 to 华南子公司. Opening her
    // record from the stale list is refused by the server, and the refusal is shown.
    await page.click(tid('nav-admin-members'));
    await page.locator(tid('member-row-east_ops')).waitFor();
    const superAdmin = await apiLogin(env.server, ADMIN.account, ADMIN.password);
    await superAdmin.patch('/admin/members/east_ops', { department_ids: [env.data.south] });
    await page.click(tid('member-edit-east_ops'));
    await toast(page, 'error', '不在你的管理范围内');
    assert.equal(await page.locator('.t-dialog', { hasText: '编辑成员' }).count(), 0, 'no edit form opens');
    await page.reload();
    await page.locator(tid('member-row-east_dev')).waitFor();
    await page.getByText('2 人', { exact: true }).waitFor();
    assert.equal(await page.locator(tid('member-row-east_ops')).count(), 0);

    // Asking the server directly with hr_east's session is refused as well.
    const hr = await apiLogin(env.server, 'hr_east', 'HrEast2026ok');
    const refused = await hr.get('/admin/members/south_sales').then(
      () => null,
      (e) => e,
    );
    assert.ok(refused && [403, 404].includes(refused.status), `out-of-scope member is refused: ${refused?.message}`);
  });
});
