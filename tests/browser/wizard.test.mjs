// A fresh server has no enterprise: the set-up wizard creates one and its administrator, who then
// signs in and lands in the app under the new enterprise's name.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { withPages } from './lib/browser.mjs';
import { serverAndBrowser } from './lib/suite.mjs';
import { field, heading, onPath, pickOption, textOf, tid, treeItem } from './lib/ui.mjs';

const env = serverAndBrowser();

const CORP = '星辰科技有限公司';

test('the set-up wizard creates the enterprise and its administrator signs in', async (t) => {
  await withPages(t, env.browser, env.server, async ({ page }) => {
    await page.goto('/');
    await page.waitForURL(onPath('/setup'));
    await heading(page, '创建企业');

    // Step 1: the enterprise. Going on without a name is refused next to the field.
    await page.click(tid('setup-next'));
    await page.locator('.t-form__item', { hasText: '企业名称' }).getByText('请填写此项').waitFor();
    await page.fill(field('setup-corp-name'), CORP);
    await pickOption(page, 'setup-industry', '制造业');
    await pickOption(page, 'setup-size', '21–100 人');
    await page.click(tid('setup-next'));

    // Step 2: the administrator.
    await page.getByText('创建者将成为企业的超级管理员').waitFor();
    await page.fill(field('setup-admin-name'), '林晓');
    await page.fill(field('setup-admin-account'), 'linxiao');
    await page.fill(field('setup-admin-password'), 'Xingchen2026');
    await page.fill(field('setup-admin-password-confirm'), 'Xingchen2027');
    await page.click(tid('setup-submit'));
    await page.getByText('两次输入的密码不一致').waitFor();
    await page.fill(field('setup-admin-password-confirm'), 'Xingchen2026');
    assert.equal(await page.locator(`${tid('password-policy')} li[data-ok="true"]`).count(), 3, 'every password rule is shown as met');
    await page.click(tid('setup-submit'));

    // Done: the enterprise and its id are shown.
    await page.locator(tid('setup-done')).getByText('企业创建成功').waitFor();
    assert.match(await textOf(page, 'setup-done'), new RegExp(`“${CORP}”已就绪`));
    const corpId = await textOf(page, 'setup-corp-id');
    assert.match(corpId, /^[A-Za-z0-9_-]+$/);
    await page.click(tid('setup-done-login'));
    await page.waitForURL(onPath('/login'));

    // Sign in with the new credentials.
    await heading(page, '登录企协');
    await page.fill(field('login-account'), 'linxiao');
    await page.fill(field('login-password'), 'Xingchen2026');
    await page.click(tid('login-submit'));
    await page.waitForURL(onPath('/contacts'));
    assert.equal(await textOf(page, 'corp-name'), CORP);
    assert.match(await textOf(page, 'user-menu'), /林晓$/, 'the signed-in person is named in the header');
    // The directory's organisation starts at the enterprise itself.
    await treeItem(page, CORP).waitFor();

    // The creator is the super administrator of the new enterprise.
    await page.click(tid('nav-admin'));
    await page.waitForURL(onPath('/admin'));
    const card = page.locator(tid('admin-corp'));
    await card.getByText(CORP).waitFor();
    await card.getByText('你是超级管理员').waitFor();
    assert.ok((await card.innerText()).includes(corpId), 'the overview shows the enterprise id');

    // The wizard is gone for good: visiting it again leads back into the app.
    await page.goto('/setup');
    await page.waitForURL(onPath('/contacts'));
  });
});
