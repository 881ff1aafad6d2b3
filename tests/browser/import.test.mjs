// Bulk import: a CSV with one bad row is checked first (a per-row report), then its valid rows are
// applied and the new members appear in the member list, in departments created from their paths.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { apiLogin } from './lib/api.mjs';
import { withPages } from './lib/browser.mjs';
import { serverAndBrowser } from './lib/suite.mjs';
import { expectText, expectTreeOutline, onPath, signIn, tid, toast } from './lib/ui.mjs';

const ADMIN = { account: 'admin', password: 'Qixie2026ok' };
const env = serverAndBrowser({ init: { corpName: '测试集团', ...ADMIN } });

// Row numbers as a spreadsheet shows them: the header is row 1, so 王芳 is on row 4.
const CSV = [
  '姓名,帐号,手机,邮箱,部门,职务',
  '张伟,zhangwei,13800000001,zhangwei@example.com,测试集团/华东/研发部,工程师',
  '李娜,lina,13800000002,lina@example.com,测试集团/华东/研发部,产品经理',
  '王芳,,123,wangfang@example.com,测试集团/华东/市场部,市场专员',
  '刘洋,liuyang,13800000004,liuyang@example.com,测试集团/华东/市场部,市场经理',
  '',
].join('\r\n');

test('a CSV with one bad row: the check reports it by row, field and reason; the valid rows are imported', async (t) => {
  await withPages(t, env.browser, env.server, async ({ page }) => {
    await signIn(page, ADMIN.account, ADMIN.password);
    await page.click(tid('nav-admin-import'));
    await page.waitForURL(onPath('/admin/import'));

    assert.ok(await page.locator(tid('import-dry-run')).isDisabled(), 'nothing to check before a file is chosen');
    await page.setInputFiles(tid('import-file'), { name: '华东成员.csv', mimeType: 'text/csv', buffer: Buffer.from(CSV, 'utf8') });
    await expectText(page, 'import-file-name', '华东成员.csv');
    await page.click(tid('import-dry-run'));

    // The report: counts, then one line per problem naming the row, the field and the reason.
    await page.locator(tid('import-report-panel')).waitFor();
    await expectText(page, 'import-total', 4);
    await expectText(page, 'import-valid', 3);
    await expectText(page, 'import-invalid', 1);
    const report = page.locator(tid('import-report'));
    const header = (await report.locator('thead th').allInnerTexts()).map((s) => s.trim());
    assert.deepEqual(header, ['行号', '字段', '原因']);
    const rows = await report.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.innerText.trim())));
    assert.deepEqual(
      rows.map((r) => r.join(' | ')).sort(),
      ['4 | 帐号 | 此项为必填项', '4 | 手机 | 格式不正确'].sort(),
    );

    // A check changes nothing: nobody from the file exists yet.
    const api = await apiLogin(env.server, ADMIN.account, ADMIN.password);
    assert.equal((await api.get('/admin/members?q=zhangwei')).total, 0);

    // Apply the three valid rows.
    const apply = page.locator(tid('import-apply'));
    assert.match(await apply.innerText(), /开始导入（3 行）/);
    await apply.click();
    await toast(page, 'success', '导入完成');
    const result = page.locator(tid('import-result'));
    await result.getByText('新增 3 人，更新 0 人。').waitFor();
    const summary = (await result.innerText()).trim();
    assert.ok(await apply.isDisabled(), 'the same check cannot be applied twice');

    // The members are in the member list, with the departments their paths named; the bad row is not.
    await page.click(tid('nav-admin-members'));
    await page.waitForURL(onPath('/admin/members'));
    for (const [userid, name, position, dept, mobile] of [
      ['zhangwei', '张伟', '工程师', '研发部', '13800000001'],
      ['lina', '李娜', '产品经理', '研发部', '13800000002'],
      ['liuyang', '刘洋', '市场经理', '市场部', '13800000004'],
    ]) {
      const row = page.locator(`${tid('members-table')} tbody tr`, { has: page.locator(tid(`member-row-${userid}`)) });
      await row.waitFor();
      const cells = (await row.locator('td').allInnerTexts()).map((c) => c.replace(/\s+/g, ' ').trim());
      assert.ok(cells[0].endsWith(`${name} ${userid}`), `name and account: ${cells[0]}`);
      assert.deepEqual(cells.slice(1, 5), [position, dept, mobile, '未激活']);
    }
    assert.equal(await page.locator(`${tid('members-table')} tbody tr`).count(), 4, 'the administrator and the three imported members');
    assert.equal(await page.locator(tid('members-table')).getByText('王芳').count(), 0);

    // The departments named by the paths were created.
    await page.click(tid('nav-admin-departments'));
    await expectTreeOutline(page, ['测试集团', '  华东', '    研发部', '    市场部']);

    // The summary after applying names how many rows went in.
    assert.match(summary, /共导入 3 行：新增 3 人，更新 0 人。/, 'the summary names how many rows were imported (共导入 3 行)');
  });
});
