// The administrator builds a department tree in the admin console: creates, renames, is refused a
// move into a department's own subtree, then moves it under another subsidiary.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { withPages } from './lib/browser.mjs';
import { serverAndBrowser } from './lib/suite.mjs';
import { clickTreeNode, exactly, expectTreeOutline, field, onPath, pickDepartment, signIn, tid, toast, treeItem, treeSettled } from './lib/ui.mjs';

const ADMIN = { account: 'admin', password: 'Qixie2026ok' };
const env = serverAndBrowser({ init: { corpName: '测试集团', ...ADMIN } });

async function select(page, name) {
  await clickTreeNode(page, name);
  await page.locator(tid('dept-detail-name'), { hasText: exactly(name) }).waitFor();
}

/** Opens the department's branch in the tree unless it is open already. */
async function expand(page, name) {
  await treeSettled(page);
  const item = treeItem(page, name);
  if (!(await item.getAttribute('class')).includes('t-tree__item--open')) await item.locator('.t-tree__icon').click();
  await item.and(page.locator('.t-tree__item--open')).waitFor();
}

async function createChild(page, name) {
  await page.click(tid('dept-create-child'));
  await page.fill(field('dept-name-input'), name);
  await page.click(tid('dept-dialog-ok'));
  await page.locator(tid('dept-name-input')).waitFor({ state: 'detached' });
  // The new department becomes the selected one.
  await page.locator(tid('dept-detail-name'), { hasText: exactly(name) }).waitFor();
}

async function detailPath(page) {
  return (await page.locator(`${tid('dept-detail')} .path`).innerText()).trim();
}

test('the administrator builds, renames and moves departments; a move into its own subtree is refused', async (t) => {
  await withPages(t, env.browser, env.server, async ({ page }) => {
    await signIn(page, ADMIN.account, ADMIN.password);
    await page.click(tid('nav-admin-departments'));
    await page.waitForURL(onPath('/admin/departments'));
    await page.locator(tid('dept-detail-name'), { hasText: exactly('测试集团') }).waitFor();

    // The root is selected first: it cannot be moved or deleted.
    assert.ok(await page.locator(tid('dept-move')).isDisabled());
    assert.ok(await page.locator(tid('dept-delete')).isDisabled());

    await createChild(page, '华东子公司');
    await createChild(page, '研发部');
    await createChild(page, '后端组');
    assert.equal(await detailPath(page), '测试集团 / 华东子公司 / 研发部 / 后端组');
    await select(page, '测试集团');
    await createChild(page, '华南子公司');
    await expectTreeOutline(page, ['测试集团', '  华东子公司', '    研发部', '      后端组', '  华南子公司']);

    // Rename 后端组.
    await select(page, '后端组');
    await page.click(tid('dept-rename'));
    const nameInput = page.locator(field('dept-name-input'));
    assert.equal(await nameInput.inputValue(), '后端组', 'the rename dialog starts from the current name');
    await nameInput.fill('后端开发组');
    await page.click(tid('dept-dialog-ok'));
    await nameInput.waitFor({ state: 'detached' });
    await page.locator(tid('dept-detail-name'), { hasText: exactly('后端开发组') }).waitFor();
    await expectTreeOutline(page, ['测试集团', '  华东子公司', '    研发部', '      后端开发组', '  华南子公司']);

    // Moving 研发部 under its own sub-department is refused with a clear message, and nothing changes.
    await select(page, '研发部');
    await page.click(tid('dept-move'));
    const dialog = page.locator('.t-dialog', { hasText: '移动“研发部”' });
    await dialog.waitFor();
    await pickDepartment(page, 'dept-parent-select', '后端开发组');
    await page.click(tid('dept-dialog-ok'));
    const refusal = await toast(page, 'error', '下级部门');
    assert.equal(refusal, '不能把部门移动到它自己或它的下级部门中');
    await dialog.getByRole('button', { name: '取消' }).click();
    await page.locator(tid('dept-parent-select')).waitFor({ state: 'detached' });
    assert.equal(await detailPath(page), '测试集团 / 华东子公司 / 研发部');

    // Moving it under the second subsidiary works, and its sub-department comes along.
    await page.click(tid('dept-move'));
    await dialog.waitFor();
    await pickDepartment(page, 'dept-parent-select', '华南子公司');
    await page.click(tid('dept-dialog-ok'));
    await toast(page, 'success', '已保存');
    await page.locator(tid('dept-parent-select')).waitFor({ state: 'detached' });
    await page.locator(`${tid('dept-detail')} .path`, { hasText: '测试集团 / 华南子公司 / 研发部' }).waitFor();
    await expand(page, '研发部');
    await expectTreeOutline(page, ['测试集团', '  华东子公司', '  华南子公司', '    研发部', '      后端开发组']);
    await select(page, '后端开发组');
    assert.equal(await detailPath(page), '测试集团 / 华南子公司 / 研发部 / 后端开发组');

    // The structure is what the server keeps: it survives a reload.
    await page.reload();
    await page.locator(tid('dept-detail-name'), { hasText: exactly('测试集团') }).waitFor();
    await expectTreeOutline(page, ['测试集团', '  华东子公司', '  华南子公司', '    研发部']);
    await select(page, '华东子公司');
    const facts = page.locator(`${tid('dept-detail')} dl`);
    await facts.locator('div', { hasText: '下级部门' }).locator('dd', { hasText: exactly('0') }).waitFor();
    await select(page, '研发部');
    assert.equal(await detailPath(page), '测试集团 / 华南子公司 / 研发部');
  });
});
