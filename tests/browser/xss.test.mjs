// The injection corpus (tests/xss/payloads.txt) in the real web client: every payload is sent as a
// text message and as a markdown message by a member, and as robot markdown through group robots'
// webhooks; a second member then opens each conversation in Chromium and scrolls through all of it.
// Nothing may fire: alert/confirm/prompt/print are replaced by a trap before any page script runs,
// dialogs, navigations away from the conversation and requests that a payload would cause are
// recorded, and the rendered bubbles must contain only the elements, attributes and link schemes
// the server's renderer allows.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { apiLogin } from './lib/api.mjs';
import { withPages } from './lib/browser.mjs';
import { ROOT } from './lib/server.mjs';
import { serverAndBrowser } from './lib/suite.mjs';
import { signIn, tid } from './lib/ui.mjs';

const ADMIN = { account: 'admin', password: 'Qixie2026ok' };
const PASSWORD = 'Xss2026safe';
/** A robot may post 20 messages a minute (WeCom's limit), so the corpus is spread over robots. */
const ROBOT_PER_MINUTE = 20;

/** Undoes the corpus file's escapes (the same as the Rust test's): \n \t \r \0 \\ and \u{HEX}. */
function unescape(line) {
  let out = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c !== '\\') {
      out += c;
      continue;
    }
    const next = line[i + 1];
    const simple = { n: '\n', t: '\t', r: '\r', 0: '\0', '\\': '\\' }[next];
    if (simple !== undefined) {
      out += simple;
      i += 1;
      continue;
    }
    const m = next === 'u' ? /^u\{([0-9a-fA-F]+)\}/.exec(line.slice(i + 1)) : null;
    if (m) {
      out += String.fromCodePoint(parseInt(m[1], 16));
      i += m[0].length;
      continue;
    }
    out += '\\';
  }
  return out;
}

const corpus = (await readFile(path.join(ROOT, 'tests/xss/payloads.txt'), 'utf8'))
  .split('\n')
  .filter((l) => l !== '')
  .map(unescape);

const env = serverAndBrowser({
  init: { corpName: '安全测试', ...ADMIN, name: '系统管理员' },
  // One member sends the whole corpus as fast as it can: far beyond a person's send rate.
  settings: { QIXIE_SEND_RATE_PER_SECOND: '0' },
  prepare: async (server) => {
    const admin = await apiLogin(server, ADMIN.account, ADMIN.password);
    const dept = await admin.createDepartment('测试部', 1);
    for (const [userid, name] of [
      ['sender', '发送人'],
      ['reader', '阅读人'],
      ['alice', '爱丽丝'],
    ]) {
      await admin.createMember(userid, name, [dept.id], 'Initial2026');
      const first = await apiLogin(server, userid, 'Initial2026');
      await first.post('/me/password', { old_password: 'Initial2026', new_password: PASSWORD });
    }
    const sender = await apiLogin(server, 'sender', PASSWORD);
    const groups = {};
    for (const kind of ['text', 'markdown', 'robot']) {
      groups[kind] = (await sender.post('/chat/conversations', { name: `注入-${kind}`, userids: ['reader', 'alice'], department_ids: [] })).id;
    }
    const rejected = [];
    for (const type of ['text', 'markdown']) {
      for (const text of corpus) {
        try {
          await sender.post(`/chat/conversations/${groups[type]}/messages`, { type, text });
        } catch (e) {
          // Bad input must be refused with a clear client error, never a server error.
          assert.ok(e.status >= 400 && e.status < 500 && e.body?.error?.code, `${type} ${JSON.stringify(text)}: ${e.message}`);
          rejected.push({ type, text, status: e.status });
        }
      }
    }
    const robots = [];
    for (let i = 0; i * ROBOT_PER_MINUTE < corpus.length; i++) {
      robots.push(await sender.post(`/chat/conversations/${groups.robot}/robots`, { name: `机器人${i + 1}` }));
    }
    for (const [i, content] of corpus.entries()) {
      const res = await fetch(robots[Math.floor(i / ROBOT_PER_MINUTE)].webhook_url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ msgtype: 'markdown', markdown: { content } }),
      });
      const body = await res.json();
      if (body.errcode !== 0) rejected.push({ type: 'robot', text: content, status: body.errcode });
    }
    return { groups, rejected };
  },
});

/** Runs before any script of the page: every way a payload could show it ran lands in window.__xss. */
function installTrap() {
  window.__xss = [];
  const trap = (how) =>
    function (...args) {
      window.__xss.push(`${how}(${args.map(String).join(',')})`);
    };
  for (const name of ['alert', 'confirm', 'prompt', 'print']) {
    Object.defineProperty(window, name, { value: trap(name), writable: false, configurable: false });
  }
}

/** Fails as soon as a payload has shown any sign of running. */
async function nothingFired(page, conv, kind, events) {
  assert.equal(new URL(page.url()).pathname, `/chat/${conv}`, `${kind}: the page navigated away (${page.url()}); seen: ${events.join('; ')}`);
  assert.deepEqual(await page.evaluate(() => window.__xss), [], `${kind}: a payload ran`);
  assert.deepEqual(events, [], `${kind}: dialogs, requests or console output from payloads`);
}

/** What the rendered bubbles contain that the renderer never emits. */
function auditDom() {
  const allowed = new Set(['P', 'BR', 'STRONG', 'EM', 'CODE', 'PRE', 'A', 'UL', 'OL', 'LI', 'BLOCKQUOTE', 'SPAN']);
  const attrs = { A: ['href', 'target', 'rel'], SPAN: ['class', 'data-userid'] };
  const problems = [];
  const roots = [...document.querySelectorAll('.msg-html')];
  for (const root of roots) {
    for (const el of root.querySelectorAll('*')) {
      if (!allowed.has(el.tagName)) problems.push(`<${el.tagName.toLowerCase()}> in ${root.innerHTML.slice(0, 200)}`);
      for (const a of el.attributes) {
        if (!(attrs[el.tagName] ?? []).includes(a.name)) problems.push(`${a.name}= on <${el.tagName.toLowerCase()}> in ${root.innerHTML.slice(0, 200)}`);
      }
      if (el.tagName === 'A') {
        const href = el.getAttribute('href') ?? '';
        if (!/^(https?:\/\/|mailto:)/.test(href) || el.protocol === 'javascript:') problems.push(`href ${href}`);
        if (el.getAttribute('rel') !== 'noopener noreferrer nofollow' || el.getAttribute('target') !== '_blank') problems.push(`link attributes on ${el.outerHTML.slice(0, 200)}`);
      }
    }
  }
  return { bubbles: roots.length, problems };
}

test('no payload of the injection corpus fires in the web client', async (t) => {
  const { groups, rejected } = env.data;
  assert.ok(corpus.length >= 300, `the corpus has ${corpus.length} payloads`);
  await withPages(t, env.browser, env.server, async ({ page }) => {
    const events = [];
    const origin = new URL(env.server.url).origin;
    await page.addInitScript(installTrap);
    page.on('dialog', (d) => {
      events.push(`dialog ${d.type()}: ${d.message()}`);
      d.dismiss().catch(() => undefined);
    });
    page.on('request', (r) => {
      const url = new URL(r.url());
      const ours = url.origin === origin && /^\/(api\/|assets\/|icons\/|ws|favicon|manifest|sw\.js|chat|login|contacts|$)/.test(url.pathname);
      if (!ours && !url.protocol.startsWith('data') && !url.protocol.startsWith('blob')) events.push(`request ${r.url()}`);
    });
    page.on('console', (m) => {
      if (/xss|alert\(/i.test(m.text())) events.push(`console ${m.type()}: ${m.text()}`);
    });
    await signIn(page, 'reader', PASSWORD);

    // The trap works: markup that does fire, put into the page by hand, is caught.
    await page.evaluate(() => {
      const canary = document.createElement('div');
      canary.id = 'xss-canary';
      canary.innerHTML = '<img src="/canary-missing.png" onerror="alert(\'canary\')">';
      document.body.append(canary);
    });
    await page.waitForFunction(() => window.__xss.length > 0);
    assert.deepEqual(await page.evaluate(() => window.__xss), ['alert(canary)']);
    assert.ok(events.some((e) => e.includes('/canary-missing.png')), 'the request of the canary image is seen');
    await page.evaluate(() => {
      document.getElementById('xss-canary').remove();
      window.__xss.length = 0;
    });
    events.length = 0;
    t.diagnostic(`${corpus.length} payloads; refused as messages: ${rejected.length ? JSON.stringify(rejected) : 'none'}`);

    for (const [kind, conv] of Object.entries(groups)) {
      const expected = corpus.length - rejected.filter((r) => r.type === kind).length;
      await page.goto(`/chat/${conv}`);
      await page.locator(`${tid('message-pane')}[data-conv-id="${conv}"]`).waitFor();
      await page.locator(tid('message-bubble')).first().waitFor();
      // Scroll to the top until the first message is loaded: every message has been rendered.
      const list = page.locator(tid('message-list'));
      for (let round = 0; round < 200; round++) {
        await nothingFired(page, conv, kind, events);
        const count = await page.locator(tid('message-bubble')).count();
        if (count >= expected) break;
        await list.evaluate((el) => {
          el.scrollTop = 0;
          el.dispatchEvent(new Event('scroll'));
        });
        await page.waitForFunction((n) => document.querySelectorAll('[data-testid="message-bubble"]').length > n, count, { timeout: 15_000 }).catch(() => undefined);
      }
      await page.waitForTimeout(500); // anything a payload scheduled (onload, timers, autofocus) has run
      const bubbles = await page.locator(tid('message-bubble')).count();
      assert.equal(bubbles, expected, `${kind}: ${bubbles} of ${expected} messages shown`);
      const audit = await page.evaluate(auditDom);
      assert.ok(audit.bubbles > expected * 0.9, `${kind}: only ${audit.bubbles} message bodies rendered from server HTML`);
      assert.deepEqual(audit.problems, [], `${kind}: markup the renderer never emits`);
      await nothingFired(page, conv, kind, events);
      // A person clicks every link: none may run script in the page.
      const hrefs = await page.evaluate(() => [...document.querySelectorAll('.msg-html a')].map((a) => a.href));
      assert.ok(hrefs.every((h) => /^(https?:|mailto:)/.test(h)), `${kind}: ${hrefs.filter((h) => !/^(https?:|mailto:)/.test(h))}`);
    }
    assert.ok(rejected.length < corpus.length / 10, `most payloads are accepted as messages (${rejected.length} refused)`);
  });
});
