// Approvals end to end: an administrator builds a reimbursement template in the designer (a text
// and a money field; the direct leader approves, then a money branch sends amounts over 10,000 to the
// general manager), an employee submits it from the phone layout and sees the route preview, the
// leader approves from the card in the 审批 conversation, the general manager finds the application
// among the things waiting for them and approves it, and the applicant reads the whole timeline.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { apiLogin } from './lib/api.mjs';
import { DESKTOP, PHONE, saveScreenshots, withPages } from './lib/browser.mjs';
import { serverAndBrowser } from './lib/suite.mjs';
import { onPath, signIn, tid, toast } from './lib/ui.mjs';

const ADMIN = { account: 'admin', password: 'Qixie2026ok' };
const PASSWORD = 'Approve2026ok';
const TEMPLATE = '差旅费报销';

const env = serverAndBrowser({
  init: { corpName: '测试集团', ...ADMIN, name: '系统管理员' },
  prepare: async (server) => {
    const admin = await apiLogin(server, ADMIN.account, ADMIN.password);
    const sales = await admin.createDepartment('销售部', 1);
    await admin.createMember('chenjing', '陈静', [1], 'Initial2026', { position: '总经理' });
    await admin.createMember('zhaoliu', '赵六', [sales.id], 'Initial2026', { position: '销售经理', leader_userid: 'chenjing' });
    await admin.createMember('wulei', '吴磊', [sales.id], 'Initial2026', { position: '销售代表', leader_userid: 'zhaoliu' });
    for (const userid of ['chenjing', 'zhaoliu', 'wulei']) {
      // The forced first password change is another test's subject: done here through the API.
      const first = await apiLogin(server, userid, 'Initial2026');
      await first.post('/me/password', { old_password: 'Initial2026', new_password: PASSWORD });
    }
    return { sales: sales.id };
  },
});

/** Picks an entry of the open TDesign dropdown menu by its text. */
async function dropdownPick(page, text) {
  await page.locator('.t-dropdown__item', { hasText: text }).last().click();
}

/** The input of the form field titled `title` on the application form. */
const formItem = (page, title) => page.locator('.form-item', { has: page.locator('.item-label', { hasText: title }) });

test('a reimbursement over 10,000 goes from the leader to the general manager', async (t) => {
  await withPages(t, env.browser, env.server, async ({ page: admin, open }) => {
    // ---- The administrator designs the template. ----
    await signIn(admin, ADMIN.account, ADMIN.password);
    await admin.goto('/admin/approvals');
    await admin.locator(tid('admin-templates')).waitFor();
    await admin.locator(tid('template-create')).click();
    await admin.waitForURL(onPath('/admin/approvals/templates/new'));

    await admin.locator(`${tid('designer-name-input')} input`).fill(TEMPLATE);
    await admin.locator(tid('designer-icon-reimbursement')).click();

    // Form: 报销事由 (long text, required) and 报销金额 (money, required).
    await admin.locator(tid('designer-tab-form')).click();
    await admin.locator(tid('palette-textarea')).click();
    await admin.locator(`${tid('prop-title')} input`).fill('报销事由');
    await admin.locator(tid('prop-required')).click();
    await admin.locator(tid('palette-money')).click();
    await admin.locator(`${tid('prop-title')} input`).fill('报销金额');
    await admin.locator(tid('prop-required')).click();
    const fieldCards = admin.locator(`${tid('designer-fields')} [data-testid^="designer-field-"]:not([data-testid*="delete"])`);
    assert.deepEqual((await fieldCards.locator('.ftitle').allInnerTexts()).map((s) => s.trim()), ['*报销事由', '*报销金额']);

    // Flow: the starting node (the direct leader), then a branch: 金额 > 10000 → 总经理审批.
    await admin.locator(tid('designer-tab-flow')).click();
    const designer = admin.locator(tid('flow-designer'));
    await designer.locator('[data-node-type="approver"]').first().waitFor();
    assert.match(await designer.locator('[data-node-type="approver"]').first().innerText(), /直属上级/);
    // The "+" after the leader's node (the second at the top level).
    await designer.locator(`.flow-tree > .fl-list > .fl-add ${tid('flow-add')}`).nth(1).click();
    await dropdownPick(admin, '条件分支');
    const branchNode = designer.locator('[data-node-type="branch"]');
    await branchNode.waitFor();
    await branchNode.locator('[data-testid$="-0"].cond').click();
    const drawer = admin.locator('.t-drawer', { has: admin.locator(tid('branch-name')) });
    await drawer.waitFor();
    await drawer.locator(`${tid('branch-name')} input`).fill('大额报销');
    await drawer.locator(tid('branch-cond-add')).click();
    await drawer.locator(`${tid('branch-cond-0-min')} input`).fill('10000');
    await drawer.locator(tid('branch-cond-0-min-gt')).click();
    await admin.keyboard.press('Escape');
    await branchNode.locator('.cond', { hasText: '报销金额 > 10000' }).waitFor();
    // An approver inside the first branch: the named general manager.
    await branchNode.locator(`.fl-col.first ${tid('flow-add')}`).first().click();
    await dropdownPick(admin, '审批人');
    const nodeDrawer = admin.locator('.t-drawer', { has: admin.locator(tid('node-name')) });
    await nodeDrawer.waitFor();
    await nodeDrawer.locator(`${tid('node-name')} input`).fill('总经理审批');
    await nodeDrawer.locator(tid('node-source-0-kind')).click();
    await admin.locator('.t-popup .t-select-option', { hasText: '指定成员' }).click();
    await nodeDrawer.locator(tid('node-source-0-members')).click();
    await nodeDrawer.locator(`${tid('node-source-0-members')} input`).first().pressSequentially('陈静');
    await admin.locator('.t-popup .t-select-option', { hasText: '陈静' }).click();
    await admin.keyboard.press('Escape');
    await admin.keyboard.press('Escape');
    await branchNode.locator('[data-node-type="approver"]', { hasText: '总经理审批' }).waitFor();
    assert.match(await branchNode.locator('[data-node-type="approver"]', { hasText: '总经理审批' }).innerText(), /陈静/);

    // The check finds nothing wrong; a simulation of 吴磊 with 12,000 takes the branch.
    await admin.locator(tid('check-ok')).waitFor();
    await admin.locator(tid('simulate-applicant')).click();
    await admin.locator(`${tid('simulate-applicant')} input`).first().pressSequentially('吴磊');
    await admin.locator('.t-popup .t-select-option', { hasText: '吴磊' }).click();
    await admin.locator(tid('check-panel')).locator('.form-item', { hasText: '报销金额' }).locator('input').fill('12000');
    await admin.locator(tid('simulate-run')).click();
    const sim = admin.locator(tid('simulate-result'));
    await sim.waitFor();
    assert.match(await sim.innerText(), /大额报销/);
    assert.match(await sim.innerText(), /赵六[\s\S]*陈静/);
    await saveScreenshots('approvals-designer', { flow: admin });

    await admin.locator(tid('designer-publish')).click();
    await admin.locator(`${tid('publish-dialog')} .t-dialog__confirm`).click();
    await toast(admin, 'success', '已发布版本 1');
    await admin.waitForURL((url) => /^\/admin\/approvals\/templates\/[^/]+$/.test(url.pathname) && !url.pathname.endsWith('/new'));

    // ---- The employee applies on a phone. ----
    const lei = await open(PHONE);
    await signIn(lei, 'wulei', PASSWORD);
    await lei.locator(tid('tab-approvals')).tap();
    await lei.waitForURL(onPath('/approvals'));
    await lei.locator(tid('approvals-new')).tap();
    await lei.locator('.tile', { hasText: TEMPLATE }).tap();
    await lei.locator(tid('apply-title'), { hasText: TEMPLATE }).waitFor();
    // Submitting empty names both required fields.
    await lei.locator(tid('apply-submit')).tap();
    await formItem(lei, '报销事由').locator(tid('field-error'), { hasText: '此项为必填项' }).waitFor();
    await formItem(lei, '报销金额').locator(tid('field-error'), { hasText: '此项为必填项' }).waitFor();
    await formItem(lei, '报销事由').locator('textarea').fill('上海客户拜访：机票与酒店');
    await formItem(lei, '报销金额').locator('input').fill('12000');
    // The route preview follows the amount: the leader, then the general manager.
    const route = lei.locator(tid('route-preview'));
    await route.locator('[data-testid^="route-step-"]', { hasText: '总经理审批' }).waitFor();
    assert.match(await route.innerText(), /直属上级[\s\S]*赵六[\s\S]*总经理审批[\s\S]*陈静/);
    const { scroll, width } = await lei.evaluate(() => ({ scroll: document.documentElement.scrollWidth, width: window.innerWidth }));
    assert.ok(scroll <= width, `the form is ${scroll}px wide on a ${width}px screen`);
    await lei.locator(tid('apply-submit')).tap();
    await lei.waitForURL((url) => /^\/approvals\/[^/]+$/.test(url.pathname) && !url.pathname.startsWith('/approvals/new'));
    const spNo = decodeURIComponent(new URL(lei.url()).pathname.split('/').pop());
    await lei.locator(`${tid('approval-detail')}[data-status="pending"]`).waitFor();
    assert.equal((await lei.locator(tid('detail-sp-no')).innerText()).trim(), spNo);
    await saveScreenshots('approvals-phone', { detail: lei });

    // ---- The leader approves from the card in the 审批 conversation. ----
    const liu = await open(DESKTOP);
    await signIn(liu, 'zhaoliu', PASSWORD);
    await liu.locator(tid('nav-approvals-todo'), { hasText: '1' }).waitFor();
    await liu.goto('/chat');
    await liu.locator(tid('conv-item'), { hasText: '审批' }).first().click();
    const card = liu.locator(`${tid('approval-card')}[data-sp-no="${spNo}"]`).last();
    await card.waitFor();
    assert.match(await card.innerText(), /吴磊/);
    await card.locator(tid('approval-card-approve')).click();
    await card.locator(tid('approval-card-result'), { hasText: '你已同意' }).waitFor();
    await liu.locator(tid('nav-approvals-todo')).waitFor({ state: 'detached' });

    // ---- The general manager has it waiting and approves it. ----
    const jing = await open(DESKTOP);
    await signIn(jing, 'chenjing', PASSWORD);
    await jing.goto('/approvals');
    await jing.locator(tid('box-todo-count'), { hasText: '1' }).waitFor();
    const row = jing.locator(tid(`approval-row-${spNo}`));
    await row.waitFor();
    assert.match(await row.innerText(), /吴磊的差旅费报销[\s\S]*审批中/);
    await row.click();
    await jing.locator(tid('detail-step-' + (await stepId(jing, '总经理审批')))).waitFor();
    await jing.locator(tid('action-approve')).click();
    await jing.locator(`${tid('action-comment')} textarea`).fill('同意，注意控制差旅标准');
    await jing.locator(`${tid('action-dialog')} .t-dialog__confirm`).click();
    await jing.locator(`${tid('approval-detail')}[data-status="approved"]`).waitFor();

    // A second decision on the leader's card now gets a clear answer instead of a change.
    // (The card's buttons are gone once it is decided, so this goes through the API.)
    const liuApi = await apiLogin(env.server, 'zhaoliu', PASSWORD);
    await assert.rejects(liuApi.post(`/approvals/${encodeURIComponent(spNo)}/approve`, {}), (e) => e.status === 409 || e.status === 403);

    // ---- The applicant reads the timeline. ----
    await lei.reload();
    await lei.locator(`${tid('approval-detail')}[data-status="approved"]`).waitFor();
    assert.equal((await lei.locator(tid('detail-status')).innerText()).trim(), '已通过');
    const entries = lei.locator(tid('timeline-entry'));
    const actions = await entries.evaluateAll((els) => els.map((el) => el.getAttribute('data-action')));
    assert.deepEqual(
      actions.filter((a) => ['submit', 'approve'].includes(a)),
      ['submit', 'approve', 'approve'],
    );
    const timeline = (await lei.locator(tid('timeline')).innerText()).replace(/\s+/g, ' ');
    assert.match(timeline, /吴磊 提交了申请.*赵六 同意.*陈静 同意.*同意，注意控制差旅标准/);
    const values = await lei.locator(tid('detail-values')).innerText();
    assert.match(values, /报销金额\s*¥12,000\.00/);
    await saveScreenshots('approvals-done', { applicant: lei, manager: jing, leader: liu });
  });
});

/** The node id of the detail step named `name`. */
async function stepId(page, name) {
  const step = page.locator('[data-testid^="detail-step-"]', { hasText: name }).first();
  await step.waitFor();
  return (await step.getAttribute('data-testid')).replace(/^detail-step-/, '');
}
