// Chinese by default, English on request: the language switch on the sign-in page and inside the
// app, the choice kept across reloads, and `?lang=en` in the address.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { withPages } from './lib/browser.mjs';
import { serverAndBrowser } from './lib/suite.mjs';
import { field, heading, onPath, signIn, textOf, tid } from './lib/ui.mjs';

const ADMIN = { account: 'admin', password: 'Qixie2026ok' };
const env = serverAndBrowser({ init: { corpName: '测试集团', ...ADMIN } });

const submitButton = (page) => page.locator(tid('login-submit'));

async function expectSignInPage(page, lang) {
  const zh = lang === 'zh-CN';
  await heading(page, zh ? '登录企协' : 'Sign in to Qixie');
  assert.equal((await submitButton(page).innerText()).trim(), zh ? '登录' : 'Sign in');
  await page.locator('.t-form__item', { hasText: zh ? '帐号' : 'Account' }).first().waitFor();
  assert.equal(await page.locator('html').getAttribute('lang'), lang);
  assert.equal(await page.title(), zh ? '登录企协 · 企协' : 'Sign in to Qixie · Qixie');
}

test('the sign-in page switches to English, keeps it after a reload, and the server answers in English', async (t) => {
  await withPages(t, env.browser, env.server, async ({ page }) => {
    await page.goto('/login');
    await expectSignInPage(page, 'zh-CN');

    await page.click(tid('lang-en'));
    await expectSignInPage(page, 'en');
    await page.reload();
    await expectSignInPage(page, 'en');

    // Messages from the server follow the chosen language too.
    await page.fill(field('login-account'), ADMIN.account);
    await page.fill(field('login-password'), 'not-the-password1');
    await page.click(tid('login-submit'));
    assert.equal(await textOf(page, 'login-error'), 'Wrong account or password');

    // Signed in, the app is in English.
    await page.fill(field('login-password'), ADMIN.password);
    await page.click(tid('login-submit'));
    await page.waitForURL(onPath('/contacts'));
    assert.equal(await textOf(page, 'nav-contacts'), 'Contacts');
    assert.equal(await textOf(page, 'nav-admin-departments'), 'Departments');

    // Back to Chinese from inside the app.
    await page.click(tid('lang-zh-CN'));
    await page.locator(tid('nav-contacts'), { hasText: '通讯录' }).waitFor();
    await page.reload();
    assert.equal(await textOf(page, 'nav-contacts'), '通讯录');
  });
});

test('the switch inside the app changes navigation and pages to English, and the choice survives a reload', async (t) => {
  await withPages(t, env.browser, env.server, async ({ page }) => {
    await signIn(page, ADMIN.account, ADMIN.password);
    await page.waitForURL(onPath('/contacts'));
    assert.equal(await textOf(page, 'nav-contacts'), '通讯录');
    assert.equal(await textOf(page, 'nav-me'), '个人信息');
    await page.getByText('组织架构').waitFor();

    await page.click(tid('lang-en'));
    await page.locator(tid('nav-contacts'), { hasText: 'Contacts' }).waitFor();
    assert.equal(await textOf(page, 'nav-me'), 'My profile');
    assert.equal(await textOf(page, 'nav-admin'), 'Overview');
    await page.getByText('Admin console').waitFor();
    assert.equal(await page.getByText('组织架构').count(), 0, 'no Chinese label is left on the directory');
    assert.equal(await page.title(), 'Contacts · Qixie');

    // Another page, and a reload.
    await page.click(tid('nav-admin-members'));
    await heading(page, 'Members');
    await page.locator(tid('member-add'), { hasText: 'Add member' }).waitFor();
    await page.reload();
    await heading(page, 'Members');
    assert.equal(await textOf(page, 'nav-contacts'), 'Contacts');
    assert.equal(await page.locator('html').getAttribute('lang'), 'en');
  });
});

test('?lang=en in the address opens the client in English and is remembered', async (t) => {
  await withPages(t, env.browser, env.server, async ({ page }) => {
    await page.goto('/login?lang=en');
    await expectSignInPage(page, 'en');
    // Without the parameter the choice stays.
    await page.goto('/login');
    await expectSignInPage(page, 'en');
    // And it can be turned back the same way.
    await page.goto('/login?lang=zh-CN');
    await expectSignInPage(page, 'zh-CN');
  });
});
