// A member added by the administrator signs in for the first time: the password must be changed
// before anything else, weak passwords are refused with the policy, and afterwards the member is
// in the directory and counted as active.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { apiLogin } from './lib/api.mjs';
import { withPages } from './lib/browser.mjs';
import { serverAndBrowser } from './lib/suite.mjs';
import { field, heading, onPath, pickDepartment, signIn, textOf, tid, toast } from './lib/ui.mjs';

const ADMIN = { account: 'admin', password: 'Qixie2026ok' };
const env = serverAndBrowser({ init: { corpName: '测试集团', ...ADMIN } });

const memberRow = (page, userid) => page.locator(`${tid('members-table')} tbody tr`, { has: page.locator(tid(`member-row-${userid}`)) });

test('a new member must change the initial password at first sign-in, then reaches the directory and is active', async (t) => {
  await withPages(t, env.browser, env.server, async ({ page: admin, open }) => {
    // The administrator adds 赵六 with an initial password.
    await signIn(admin, ADMIN.account, ADMIN.password);
    await admin.click(tid('nav-admin-members'));
    await admin.waitForURL(onPath('/admin/members'));
    await admin.locator(tid('member-row-admin')).waitFor();
    await admin.click(tid('member-add'));
    const dialog = admin.locator('.t-dialog', { hasText: '添加成员' });
    await dialog.waitFor();
    await admin.fill(field('member-form-name'), '赵六');
    await admin.fill(field('member-form-userid'), 'zhaoliu');
    await pickDepartment(admin, 'member-form-departments', '测试集团');
    await dialog.locator('.t-dialog__header').click(); // closes the department list
    await admin.fill(field('member-form-position'), '会计');
    await admin.fill(field('member-form-mobile'), '13900000006');
    await admin.fill(field('member-form-password'), 'Welcome2026');
    await admin.click(tid('member-form-ok'));
    await toast(admin, 'success', '已添加成员 赵六');
    await dialog.waitFor({ state: 'hidden' });
    await memberRow(admin, 'zhaoliu').getByText('未激活').waitFor();

    // 赵六 signs in on another browser and is sent to change the password first.
    const member = await open();
    await signIn(member, 'zhaoliu', 'Welcome2026');
    await member.waitForURL(onPath('/password'));
    await heading(member, '修改密码');
    await member.getByText('首次登录或密码已过期，请先设置新密码').waitFor();
    // The directory cannot be reached around it.
    await member.goto('/contacts');
    await member.waitForURL(onPath('/password'));
    await member.locator(tid('password-new')).waitFor();

    // A password without letters is refused by the form, with the policy shown rule by rule.
    await member.fill(field('password-old'), 'Welcome2026');
    await member.fill(field('password-new'), '20262026');
    await member.fill(field('password-confirm'), '20262026');
    const rules = member.locator(`${tid('password-policy')} li`);
    assert.deepEqual(await rules.evaluateAll((lis) => lis.map((li) => `${li.textContent.trim()}:${li.dataset.ok}`)), [
      '至少 8 位:true',
      '同时包含字母和数字:false',
      '不能包含帐号:true',
    ]);
    await member.click(tid('password-submit'));
    await member.locator('.t-form__item', { hasText: '新密码' }).getByText('密码不符合下方的安全要求').first().waitFor();
    assert.match(member.url(), /\/password/);

    // A password containing the account is refused by the form, as the server would refuse it.
    await member.fill(field('password-new'), 'Zhaoliu2026');
    await member.fill(field('password-confirm'), 'Zhaoliu2026');
    assert.deepEqual(await rules.evaluateAll((lis) => lis.map((li) => `${li.textContent.trim()}:${li.dataset.ok}`)), [
      '至少 8 位:true',
      '同时包含字母和数字:true',
      '不能包含帐号:false',
    ]);
    await member.click(tid('password-submit'));
    await member.locator('.t-form__item', { hasText: '新密码' }).getByText('密码不符合下方的安全要求').first().waitFor();
    assert.match(member.url(), /\/password/);

    // Reusing the initial password is refused next to the field.
    await member.fill(field('password-new'), 'Welcome2026');
    await member.fill(field('password-confirm'), 'Welcome2026');
    await member.click(tid('password-submit'));
    await member.locator('.t-form__item', { hasText: '新密码' }).getByText('新密码不能与当前密码相同').first().waitFor();
    assert.match(member.url(), /\/password/);

    // A good password lets 赵六 in.
    await member.fill(field('password-new'), 'Blue7Harbor');
    await member.fill(field('password-confirm'), 'Blue7Harbor');
    await member.click(tid('password-submit'));
    await toast(member, 'success', '密码已修改');
    await member.waitForURL(onPath('/contacts'));
    assert.match(await textOf(member, 'user-menu'), /赵六$/);
    await member.locator(tid('member-row-zhaoliu')).waitFor();
    await member.locator(tid('member-row-admin')).waitFor();
    // Members see no admin console.
    assert.equal(await member.locator(tid('nav-admin')).count(), 0);

    // The administrator now sees 赵六 as active.
    await admin.reload();
    await memberRow(admin, 'zhaoliu').getByText('已激活').waitFor();
    const api = await apiLogin(env.server, ADMIN.account, ADMIN.password);
    assert.equal((await api.member('zhaoliu')).status, 'active');

    // The old password no longer works; the new one does, without another forced change.
    const again = await open();
    await again.goto('/login');
    await again.fill(field('login-account'), 'zhaoliu');
    await again.fill(field('login-password'), 'Welcome2026');
    await again.click(tid('login-submit'));
    await again.locator(tid('login-error')).waitFor();
    await signIn(again, 'zhaoliu', 'Blue7Harbor');
    await again.waitForURL(onPath('/contacts'));
  });
});
