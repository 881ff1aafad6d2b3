// Two people chat in two browser contexts (each its own session and socket): a message sent by one
// appears for the other, an @mention marks the conversation, read receipts move from unread to read
// with the lists of who has and who has not, a recalled message turns into a recall line on both
// sides, a file goes up and comes down under its original name, a search hit opens the message in
// its conversation, and a group robot's webhook message shows up live.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { apiLogin } from './lib/api.mjs';
import { PHONE, saveScreenshots, withPages } from './lib/browser.mjs';
import { serverAndBrowser } from './lib/suite.mjs';
import { signIn, tid } from './lib/ui.mjs';

const ADMIN = { account: 'admin', password: 'Qixie2026ok' };
const PASSWORD = 'Chat2026ok';
const PEOPLE = [
  ['wulei', '吴磊'],
  ['zhengjie', '郑洁'],
  ['chenjing', '陈静'],
];

const env = serverAndBrowser({
  init: { corpName: '测试集团', ...ADMIN, name: '系统管理员' },
  prepare: async (server) => {
    const admin = await apiLogin(server, ADMIN.account, ADMIN.password);
    const rd = await admin.createDepartment('研发部', 1);
    for (const [userid, name] of PEOPLE) {
      await admin.createMember(userid, name, [rd.id], 'Initial2026');
      // The first sign-in's forced change is another test's subject: done here through the API.
      const first = await apiLogin(server, userid, 'Initial2026');
      await first.post('/me/password', { old_password: 'Initial2026', new_password: PASSWORD });
    }
    // 郑洁 works around the clock, so alerts are never held for her whenever the test runs.
    const jie = await apiLogin(server, 'zhengjie', PASSWORD);
    await jie.put('/chat/attention', { working_hours: { days: [1, 2, 3, 4, 5, 6, 7], start: '00:00', end: '23:59' } });
    const wulei = await apiLogin(server, 'wulei', PASSWORD);
    const group = await wulei.post('/chat/conversations', { name: '项目评审群', userids: ['zhengjie', 'chenjing'], department_ids: [] });
    const robot = await wulei.post(`/chat/conversations/${group.id}/robots`, { name: '构建通知' });
    return { group: group.id, robot };
  },
});

/** The conversation's row in the list. */
const convItem = (page, id) => page.locator(`${tid('conv-item')}[data-conv-id="${id}"]`);
/** The bubble of a message whose text contains `text`. */
const bubble = (page, text) => page.locator(tid('message-bubble'), { hasText: text }).last();

/** Types `text` and sends it: Enter on a desktop, the send button on a phone (where Enter is a new line). */
async function sendText(page, text, { phone = false } = {}) {
  const input = page.locator(`${tid('composer-input')} textarea, textarea${tid('composer-input')}`).first();
  await input.fill(text);
  if (phone) await page.locator(tid('composer-send')).tap();
  else await input.press('Enter');
  await page.locator(`${tid('message-bubble')}[data-state="sent"]`, { hasText: text }).last().waitFor();
}

test('two members chat: send and receive, @mention, receipts, recall, files, search, robot', async (t) => {
  await withPages(t, env.browser, env.server, async ({ page: lei, open }) => {
    const jie = await open();
    await signIn(lei, 'wulei', PASSWORD);
    await signIn(jie, 'zhengjie', PASSWORD);
    await lei.goto(`/chat/${env.data.group}`);
    await jie.goto('/chat');
    await lei.locator(`${tid('message-pane')}[data-conv-id="${env.data.group}"]`).waitFor();
    await convItem(jie, env.data.group).waitFor();

    // Send and receive: 郑洁 has the list open and sees the message arrive as unread.
    await sendText(lei, '大家好，明天下午开项目评审会');
    const jieItem = convItem(jie, env.data.group);
    await jieItem.locator(tid('conv-unread'), { hasText: '1' }).waitFor();
    assert.match(await jieItem.innerText(), /明天下午开项目评审会/);

    // @mention through the composer's member list: the list shows [有人@我] to 郑洁.
    const input = lei.locator(`${tid('composer-input')} textarea, textarea${tid('composer-input')}`).first();
    await input.fill('');
    await input.pressSequentially('@');
    await lei.locator(tid('mention-option-zhengjie')).click();
    await input.pressSequentially('请准备评审材料');
    await input.press('Enter');
    await lei.locator(`${tid('message-bubble')}[data-state="sent"]`, { hasText: '请准备评审材料' }).waitFor();
    await jieItem.locator(tid('conv-mention')).waitFor();
    assert.match(await jieItem.locator(tid('conv-mention')).innerText(), /有人@我/);
    await jieItem.locator(tid('conv-unread'), { hasText: '2' }).waitFor();
    // …and an alert: a notification toast naming the group, with 查看 to open it.
    const toastNote = jie.locator('.t-notification', { hasText: '请准备评审材料' });
    await toastNote.waitFor();
    assert.match(await toastNote.innerText(), /项目评审群/);
    await toastNote.locator(tid('notify-open')).waitFor();

    // Receipts: before 郑洁 opens the group both others have not read; after, one has.
    const mine = bubble(lei, '请准备评审材料');
    const mineRow = lei.locator(tid('message-row'), { has: mine });
    await mineRow.locator(tid('receipt-count'), { hasText: '2人未读' }).waitFor();
    await jieItem.click();
    await jie.locator(`${tid('message-pane')}[data-conv-id="${env.data.group}"]`).waitFor();
    await bubble(jie, '请准备评审材料').waitFor();
    await jieItem.locator(tid('conv-unread')).waitFor({ state: 'detached' });
    await mineRow.locator(tid('receipt-count'), { hasText: '1人未读' }).waitFor();
    await mineRow.locator(tid('receipt-count')).click();
    await lei.locator(tid('receipt-unread-list'), { hasText: '陈静' }).waitFor();
    assert.doesNotMatch(await lei.locator(tid('receipt-unread-list')).innerText(), /郑洁/);
    await lei.locator(tid('receipt-tab-read')).click();
    await lei.locator(tid('receipt-read-list'), { hasText: '郑洁' }).waitFor();
    await lei.keyboard.press('Escape');

    // The @ button opens the same member list as typing @.
    await lei.locator(tid('composer-mention')).click();
    await lei.waitForTimeout(400); // past the composer's blur delay: the list must still be open
    await lei.locator(tid('mention-option-chenjing')).click();
    assert.match(await input.inputValue(), /@陈静/);
    await input.fill('');

    // 郑洁 answers; 吴磊 sees it live in the open conversation.
    await sendText(jie, '收到，我来准备');
    await bubble(lei, '收到，我来准备').waitFor();

    // Recall: 吴磊 takes a message back; both sides see the recall line instead.
    await sendText(lei, '这条发错了');
    await bubble(jie, '这条发错了').waitFor();
    await bubble(lei, '这条发错了').click({ button: 'right' });
    await lei.locator(tid('msg-menu-recall')).click();
    await lei.locator(tid('recalled-line'), { hasText: /你\s*撤回了一条消息/ }).waitFor();
    await jie.locator(tid('recalled-line'), { hasText: /吴磊\s*撤回了一条消息/ }).waitFor();
    assert.equal(await jie.locator(tid('message-bubble'), { hasText: '这条发错了' }).count(), 0);

    // A file goes up from 吴磊 and comes down to 郑洁 under its original name, unchanged.
    const content = Buffer.from('第三季度评审纪要\nQ3 review notes\n'.repeat(50));
    await lei.locator(tid('upload-file-input')).setInputFiles({ name: '评审纪要-第三季度.txt', mimeType: 'text/plain', buffer: content });
    await lei.locator(`${tid('message-bubble')}[data-state="sent"]`, { hasText: '评审纪要-第三季度.txt' }).waitFor();
    const card = jie.locator(tid('file-card'), { hasText: '评审纪要-第三季度.txt' });
    await card.waitFor();
    const [download] = await Promise.all([jie.waitForEvent('download'), card.click()]);
    assert.equal(download.suggestedFilename(), '评审纪要-第三季度.txt');
    const path = await download.path();
    const { readFile } = await import('node:fs/promises');
    assert.deepEqual(await readFile(path), content);

    // Search: 郑洁 looks for 评审 across her chats; a hit opens the message in its conversation.
    await jie.goto('/chat');
    await jie.locator(tid('search-open')).click();
    await jie.locator(`${tid('search-input')} input`).fill('评审');
    const hit = jie.locator(tid('search-hit'), { hasText: '明天下午开项目评审会' });
    await hit.waitFor();
    assert.match(await hit.innerHTML(), /<mark>评审<\/mark>/);
    assert.equal(await jie.locator(tid('search-hit'), { hasText: '这条发错了' }).count(), 0, 'a recalled message is not found');
    const seq = await hit.getAttribute('data-seq');
    await hit.click();
    await jie.locator(`${tid('search-panel')}.t-drawer--open`).waitFor({ state: 'detached' });
    const row = jie.locator(`${tid('message-row')}[data-seq="${seq}"]`);
    await row.waitFor();
    await jie.waitForFunction((s) => document.querySelector(`[data-testid="message-row"][data-seq="${s}"]`)?.classList.contains('highlighted'), seq);
    assert.match(await row.innerText(), /明天下午开项目评审会/);

    // A robot's webhook message appears in both open conversations.
    const hook = await fetch(env.data.robot.webhook_url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ msgtype: 'text', text: { content: '构建 #42 已通过' } }),
    });
    assert.deepEqual(await hook.json(), { errcode: 0, errmsg: 'ok' });
    await bubble(lei, '构建 #42 已通过').waitFor();
    await bubble(jie, '构建 #42 已通过').waitFor();
    await saveScreenshots('chat', { lei, jie });
  });
});

test('on a phone the list opens a full-screen conversation, a reply goes out and back leads to the list', async (t) => {
  await withPages(
    t,
    env.browser,
    env.server,
    async ({ page: jing, open }) => {
      const lei = await open();
      await signIn(jing, 'chenjing', PASSWORD);
      await signIn(lei, 'wulei', PASSWORD);
      await jing.goto('/chat');
      await lei.goto(`/chat/${env.data.group}`);
      await lei.locator(`${tid('message-pane')}[data-conv-id="${env.data.group}"]`).waitFor();
      await sendText(lei, '手机上也能看到吗？');

      const item = convItem(jing, env.data.group);
      await item.locator(tid('conv-unread')).waitFor();
      assert.equal(await jing.locator(tid('tabbar')).count(), 1, 'the list has the tab bar');
      await item.tap();
      await jing.locator(`${tid('message-pane')}[data-conv-id="${env.data.group}"]`).waitFor();
      assert.equal(await jing.locator(tid('tabbar')).count(), 0, 'a conversation is full screen');
      await bubble(jing, '手机上也能看到吗？').waitFor();
      const { scroll, width } = await jing.evaluate(() => ({ scroll: document.documentElement.scrollWidth, width: window.innerWidth }));
      assert.ok(scroll <= width, `the conversation is ${scroll}px wide on a ${width}px screen`);

      await sendText(jing, '可以，手机收到了', { phone: true });
      await bubble(lei, '可以，手机收到了').waitFor();
      await saveScreenshots('chat-phone', { jing });
      await jing.locator(tid('chat-back')).tap();
      await jing.locator(tid('conv-list')).waitFor();
      await item.waitFor();
      assert.equal(await item.locator(tid('conv-unread')).count(), 0, 'read on the phone');
    },
    PHONE,
  );
});
