// In-memory stand-in for the messaging contract (docs/api/chat.md) and the realtime WebSocket
// (docs/api/realtime.md), used by mock-api.mjs. Development and screenshots only; the Rust server is
// the truth. The WebSocket side is a minimal RFC 6455 server (handshake, text/close/ping frames).
import { createHash, randomBytes } from 'node:crypto';

const DAY = 86400000;
const HEARTBEAT_MS = 25000;

export function createChat({ members, departments, subtree, sessionOf, port, seed: withSeed = true }) {
  const now = () => Date.now();
  let nextId = 7266000000000000000n;
  const id = () => String(nextId++);
  const token = (n = 16) => randomBytes(n).toString('hex');
  const person = (userid) => {
    const m = members().find((x) => x.userid === userid);
    return m ? { userid: m.userid, name: m.name } : { userid, name: userid };
  };

  /** @type {Map<string, any>} */
  const convs = new Map();
  const mine = new Map(); // `${conv}:${userid}` → {muted, pinned, marked_unread, draft}
  const media = new Map();
  const favourites = new Map(); // userid → [{id, event_id, conv, at}]
  const connections = new Set();
  let policy = {
    receipts: { direct: 'on', group: 'on', department: 'aggregate', company: 'off' },
    naming: { enabled: false, pattern: '【部门】-【项目/事项】-【群类型】', group_types: ['项目群', '通知群', '讨论群'] },
    files: { max_bytes: 100 * 1024 * 1024, denied_extensions: ['exe', 'bat', 'cmd', 'scr'], allowed_extensions: [] },
  };

  // ---------- model ----------
  function myState(c, userid) {
    const k = `${c.id}:${userid}`;
    if (!mine.has(k)) mine.set(k, { muted: false, pinned: false, marked_unread: false, draft: '' });
    return mine.get(k);
  }
  function newConv(kind, name, owner, userids, extra = {}) {
    const c = {
      id: id(), kind, name, chatid: `wr${token(6)}`, status: 'active', group_type: null, owner, department_id: null, app: null,
      settings: { only_admins_rename: true, at_all_admins_only: true, invite_needs_approval: false, mute_all: false, member_limit: 2000, no_forward_out: false },
      announcement: null, members: new Map(), events: [], robots: [], requests: [], created_at: now(), ...extra,
    };
    for (const u of userids) c.members.set(u, { role: u === owner ? 'owner' : 'member', read_seq: 0, last_active_at: null });
    convs.set(c.id, c);
    return c;
  }
  const isManager = (c, u) => ['owner', 'admin'].includes(c.members.get(u)?.role);

  function escapeHtml(s) {
    return String(s).replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]);
  }
  function inline(s) {
    return s
      .replace(/`([^`]+)`/g, '<code>$1</code>')
      .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>')
      .replace(/\[([^\]]+)\]\((https?:\/\/[^)\s]+)\)/g, '<a href="$2" target="_blank" rel="noopener">$1</a>')
      .replace(/(^|[\s(])(https?:\/\/[^\s<]+)/g, '$1<a href="$2" target="_blank" rel="noopener">$2</a>')
      .replace(/&lt;font color=&quot;(info|comment|warning)&quot;&gt;(.*?)&lt;\/font&gt;/g, '<font color="$1">$2</font>');
  }
  function mentionSpans(html) {
    return html.replace(/@\{([A-Za-z0-9_.\-@]+)\}/g, (_m, u) => `<span class="mention" data-userid="${u}">@${escapeHtml(u === '@all' ? '所有人' : person(u).name)}</span>`);
  }
  /** A small, safe renderer: everything is escaped first, then a few markdown forms are added. */
  function render(type, text) {
    const lines = escapeHtml(text ?? '').split('\n');
    if (type !== 'markdown') return mentionSpans(`<p>${lines.map(inline).join('<br>')}</p>`);
    const out = [];
    let list = null;
    let code = null;
    for (const line of lines) {
      if (line.startsWith('```')) {
        if (code) { out.push(`<pre><code>${code.join('\n')}</code></pre>`); code = null; } else code = [];
        continue;
      }
      if (code) { code.push(line); continue; }
      const li = /^\s*[-*]\s+(.*)$/.exec(line);
      if (li) { (list ??= []).push(`<li>${inline(li[1])}</li>`); continue; }
      if (list) { out.push(`<ul>${list.join('')}</ul>`); list = null; }
      const h = /^(#{1,3})\s+(.*)$/.exec(line);
      if (h) out.push(`<h${h[1].length}>${inline(h[2])}</h${h[1].length}>`);
      else if (/^&gt;\s?/.test(line)) out.push(`<blockquote>${inline(line.replace(/^&gt;\s?/, ''))}</blockquote>`);
      else if (line.trim()) out.push(`<p>${inline(line)}</p>`);
    }
    if (list) out.push(`<ul>${list.join('')}</ul>`);
    if (code) out.push(`<pre><code>${code.join('\n')}</code></pre>`);
    return mentionSpans(out.join(''));
  }

  function eventOut(e) {
    const { conv, ...rest } = e;
    return { ...rest, conv };
  }

  function append(c, fields, at = now()) {
    const e = {
      id: id(), conv: c.id, seq: c.events.length + 1, at, kind: 'message', sender: { kind: 'system', userid: null, name: '', avatar: '' },
      type: null, content: {}, html: null, mentions: [], mention_all: false, quote: null, recalled: false, pinned: false,
      urgent: false, not_urgent: false, client_id: null, ...fields,
    };
    c.events.push(e);
    if (e.sender.kind === 'member' && c.members.has(e.sender.userid)) {
      const m = c.members.get(e.sender.userid);
      m.read_seq = e.seq;
      if (e.kind === 'message') m.last_active_at = at;
    }
    broadcast(c, { t: 'event', conv: c.id, seq: e.seq, event: eventOut(e) });
    return e;
  }
  const memberSender = (userid) => ({ kind: 'member', ...person(userid), avatar: '' });
  function system(c, code, params, by, at) {
    return append(c, { kind: 'system', sender: by ? memberSender(by) : { kind: 'system', userid: null, name: '', avatar: '' }, content: { code, params: { ...params, ...(by ? { by: person(by) } : {}) } } }, at);
  }
  function message(c, userid, type, content, extra = {}, at) {
    const html = type === 'text' || type === 'markdown' ? render(type, content.text) : null;
    return append(c, { sender: memberSender(userid), type, content, html, ...extra }, at);
  }

  function receiptsMode(c) {
    if (c.kind === 'app') return 'off';
    return policy.receipts[c.kind] ?? 'on';
  }
  function convOut(c, userid) {
    const st = myState(c, userid);
    const me = c.members.get(userid);
    const last = c.events[c.events.length - 1] ?? null;
    const read = me?.read_seq ?? 0;
    const unread = c.events.filter((e) => e.seq > read && e.kind === 'message' && !e.recalled && e.sender.userid !== userid).length;
    const peerId = c.kind === 'direct' ? [...c.members.keys()].find((u) => u !== userid) : null;
    const peer = peerId ? members().find((m) => m.userid === peerId) : null;
    return {
      id: c.id, kind: c.kind, chatid: c.chatid, name: c.kind === 'direct' ? (peer?.name ?? c.name) : c.name, avatar: '', status: c.status,
      member_count: c.members.size, last_seq: c.events.length, read_seq: read, unread, muted: st.muted, pinned: st.pinned,
      marked_unread: st.marked_unread, draft: st.draft, my_role: me?.role ?? 'member',
      peer: peer ? { userid: peer.userid, name: peer.name, avatar: '', position: peer.position ?? '' } : null,
      app: c.app, department_id: c.department_id, owner: c.owner ? person(c.owner) : null, group_type: c.group_type,
      settings: c.settings,
      announcement: c.announcement ? { text: c.announcement.text, at: c.announcement.at, by: person(c.announcement.by), read: c.announcement.readers.has(userid) } : null,
      receipts: receiptsMode(c), last_event: last ? eventOut(last) : null, last_activity_at: last?.at ?? c.created_at,
    };
  }
  function convsOf(userid) {
    const list = [...convs.values()].filter((c) => c.members.has(userid)).map((c) => convOut(c, userid));
    return list.sort((a, b) => Number(b.pinned) - Number(a.pinned) || b.last_activity_at - a.last_activity_at);
  }

  // ---------- realtime ----------
  function toUser(userid, frame) {
    for (const k of connections) if (k.userid === userid) k.send(frame);
  }
  function broadcast(c, frame) {
    for (const k of connections) if (c.members.has(k.userid)) k.send(frame);
  }
  function convChanged(c, change = 'updated', only) {
    for (const k of connections) if ((only ? only.includes(k.userid) : c.members.has(k.userid))) k.send({ t: 'conv', conv: c.id, change });
  }
  function markRead(c, userid, seq) {
    const m = c.members.get(userid);
    if (!m || seq <= m.read_seq) return;
    m.read_seq = Math.min(seq, c.events.length);
    const st = myState(c, userid);
    st.marked_unread = false;
    toUser(userid, { t: 'read', conv: c.id, seq: m.read_seq });
    if (receiptsMode(c) !== 'off' && c.members.size <= 500) {
      for (const k of connections) if (k.userid !== userid && c.members.has(k.userid)) k.send({ t: 'receipt', conv: c.id, userid, seq: m.read_seq });
    }
  }

  /** Other people react a little, so receipts and replies can be seen without a second browser. */
  const REPLIES = ['好的，收到 👌', '我看一下，稍等', '没问题，下午给你答复', '👍', '这个我来跟进'];
  function simulate(c, from, seq) {
    const others = [...c.members.keys()].filter((u) => u !== from && ![...connections].some((k) => k.userid === u));
    setTimeout(() => {
      others.forEach((u, i) => { if (c.kind === 'direct' || i % 3 !== 2) markRead(c, u, seq); });
    }, 1500);
    if (c.kind === 'direct' && others.length && c.status === 'active') {
      setTimeout(() => message(c, others[0], 'text', { text: REPLIES[seq % REPLIES.length] }), 3500);
    }
  }

  function resolveSend(c, userid, b) {
    if (!c || !c.members.has(userid)) return { error: [404, 'conversation_not_found', '会话不存在', 'Conversation not found'] };
    if (c.status !== 'active') return { error: [409, 'conversation_read_only', '该群聊已归档或解散，不能发言', 'The group is read-only'] };
    if (c.kind === 'app') return { error: [403, 'forbidden', '不能回复应用消息', 'App messages cannot be answered'] };
    if (c.settings.mute_all && !isManager(c, userid)) return { error: [403, 'muted', '全员禁言中，仅群主和管理员可发言', 'Only the owner and admins can speak'] };
    if (b.client_id) {
      const dup = c.events.find((e) => e.client_id === b.client_id && e.sender.userid === userid);
      if (dup) return { event: dup };
    }
    const type = b.type || 'text';
    let content;
    if (type === 'text' || type === 'markdown') {
      if (!String(b.text ?? '').trim()) return { error: [422, 'validation', '消息不能为空', 'Message is empty', { text: 'required' }] };
      content = { text: String(b.text) };
    } else if (type === 'image' || type === 'file') {
      const m = media.get(b.media_id);
      if (!m) return { error: [422, 'validation', '文件不存在', 'Unknown media', { media_id: 'not_found' }] };
      content = type === 'image' ? { media_id: m.id, name: m.name, size: m.size, width: m.width, height: m.height } : { media_id: m.id, name: m.name, size: m.size, mime: m.mime };
    } else return { error: [422, 'validation', '不支持的消息类型', 'Unsupported type', { type: 'unknown' }] };
    const mentions = Array.isArray(b.mentions) ? b.mentions.filter((u) => u === '@all' || c.members.has(u)) : [];
    if (mentions.includes('@all') && c.settings.at_all_admins_only && !isManager(c, userid)) {
      return { error: [403, 'at_all_forbidden', '仅群主和管理员可以 @所有人', 'Only the owner and admins can mention everyone'] };
    }
    let quote = null;
    if (b.quote_id) {
      const q = c.events.find((e) => e.id === b.quote_id);
      if (q) quote = { id: q.id, seq: q.seq, sender_name: q.sender.name, excerpt: excerpt(q) };
    }
    const e = message(c, userid, type, content, { mentions: mentions.filter((u) => u !== '@all'), mention_all: mentions.includes('@all'), quote, urgent: !!b.urgent, not_urgent: !!b.not_urgent, client_id: b.client_id ?? null });
    simulate(c, userid, e.seq);
    return { event: e };
  }
  function excerpt(e) {
    if (e.recalled) return '';
    if (e.type === 'text' || e.type === 'markdown') return String(e.content.text ?? '').replace(/@\{([^}]+)\}/g, (_m, u) => `@${u === '@all' ? '所有人' : person(u).name}`).slice(0, 80);
    return { image: '[图片]', file: `[文件] ${e.content.name ?? ''}`, news: '[图文]', textcard: '[卡片]', template_card: '[卡片]', chat_record: '[聊天记录]' }[e.type] ?? '';
  }

  // ---------- WebSocket (RFC 6455, server side) ----------
  function encodeFrame(opcode, payload) {
    const len = payload.length;
    let head;
    if (len < 126) head = Buffer.from([0x80 | opcode, len]);
    else if (len < 65536) { head = Buffer.alloc(4); head[0] = 0x80 | opcode; head[1] = 126; head.writeUInt16BE(len, 2); }
    else { head = Buffer.alloc(10); head[0] = 0x80 | opcode; head[1] = 127; head.writeBigUInt64BE(BigInt(len), 2); }
    return Buffer.concat([head, payload]);
  }

  function upgrade(req, socket) {
    const url = new URL(req.url, 'http://localhost');
    if (url.pathname !== '/api/v1/realtime' || (req.headers.upgrade || '').toLowerCase() !== 'websocket') {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      return;
    }
    const s = sessionOf(req);
    if (!s) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n');
      return;
    }
    const origin = req.headers.origin;
    if (origin && new URL(origin).host !== req.headers.host) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
      return;
    }
    const accept = createHash('sha1').update(`${req.headers['sec-websocket-key']}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
    socket.write(['HTTP/1.1 101 Switching Protocols', 'Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Accept: ${accept}`, '', ''].join('\r\n'));
    socket.setNoDelay(true);

    const conn = {
      userid: s.userid,
      alive: true,
      lastHeard: now(),
      send(frame) {
        if (!this.alive) return;
        // Delivery waits until resume has been answered; frames meanwhile are queued (never duplicated).
        if (this.holding) { this.held.push(frame); return; }
        socket.write(encodeFrame(1, Buffer.from(JSON.stringify(frame))));
      },
      holding: false,
      held: [],
    };
    connections.add(conn);
    conn.send({ t: 'hello', member: s.userid, heartbeat_ms: HEARTBEAT_MS });
    const silent = setInterval(() => {
      if (now() - conn.lastHeard > HEARTBEAT_MS * 3) socket.destroy();
    }, HEARTBEAT_MS);

    let buf = Buffer.alloc(0);
    let fragments = [];
    socket.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        if (buf.length < 2) return;
        const fin = (buf[0] & 0x80) !== 0;
        const opcode = buf[0] & 0x0f;
        const masked = (buf[1] & 0x80) !== 0;
        let len = buf[1] & 0x7f;
        let off = 2;
        if (len === 126) { if (buf.length < 4) return; len = buf.readUInt16BE(2); off = 4; }
        else if (len === 127) { if (buf.length < 10) return; len = Number(buf.readBigUInt64BE(2)); off = 10; }
        const maskOff = off;
        if (masked) off += 4;
        if (buf.length < off + len) return;
        const payload = Buffer.from(buf.subarray(off, off + len));
        if (masked) for (let i = 0; i < payload.length; i++) payload[i] ^= buf[maskOff + (i % 4)];
        buf = buf.subarray(off + len);
        conn.lastHeard = now();
        if (opcode === 8) { socket.end(encodeFrame(8, payload.subarray(0, 2))); return; }
        if (opcode === 9) { socket.write(encodeFrame(10, payload)); continue; }
        if (opcode === 10) continue;
        if (opcode === 1 || opcode === 0) {
          fragments.push(payload);
          if (!fin) continue;
          const text = Buffer.concat(fragments).toString('utf8');
          fragments = [];
          let f;
          try { f = JSON.parse(text); } catch { continue; }
          onClientFrame(conn, f);
        }
      }
    });
    const close = () => {
      conn.alive = false;
      clearInterval(silent);
      connections.delete(conn);
    };
    socket.on('close', close);
    socket.on('error', close);
  }

  function onClientFrame(conn, f) {
    const userid = conn.userid;
    if (f.op === 'ping') return conn.send({ t: 'pong' });
    if (f.op === 'resume') {
      const last = f.convs && typeof f.convs === 'object' ? f.convs : {};
      const frames = [];
      const answer = {};
      for (const c of convs.values()) {
        if (!c.members.has(userid)) continue;
        answer[c.id] = c.events.length;
        if (!(c.id in last)) continue;
        const from = Number(last[c.id]) || 0;
        let missing = c.events.filter((e) => e.seq > from);
        let far = false;
        if (missing.length > 500) { missing = missing.slice(-500); far = true; }
        for (const e of missing) frames.push({ t: 'event', conv: c.id, seq: e.seq, event: eventOut(e) });
        if (far) frames.push({ t: 'conv', conv: c.id, change: 'updated' });
      }
      frames.push({ t: 'resumed', convs: answer });
      // Live frames that arrived before this answer was sent would be queued; none can interleave here.
      for (const fr of frames) conn.send(fr);
      return;
    }
    if (f.op === 'read') {
      const c = convs.get(String(f.conv));
      if (c && c.members.has(userid)) markRead(c, userid, Number(f.seq) || 0);
      return;
    }
    if (f.op === 'send') {
      const c = convs.get(String(f.conv));
      const r = resolveSend(c, userid, { ...(f.msg ?? {}) });
      if (r.error) conn.send({ t: 'nack', ref: f.ref, error: { code: r.error[1], message: r.error[2] } });
      else conn.send({ t: 'ack', ref: f.ref, event: eventOut(r.event) });
    }
  }

  // ---------- REST ----------
  function parseMultipart(buf, contentType) {
    const m = /boundary=(?:"([^"]+)"|([^;]+))/.exec(contentType || '');
    if (!m) return null;
    const boundary = Buffer.from(`--${m[1] || m[2]}`);
    let start = buf.indexOf(boundary);
    while (start >= 0) {
      const next = buf.indexOf(boundary, start + boundary.length);
      if (next < 0) break;
      const part = buf.subarray(start + boundary.length + 2, next - 2);
      const headEnd = part.indexOf('\r\n\r\n');
      const head = part.subarray(0, headEnd).toString('utf8');
      if (/name="file"/.test(head)) {
        const name = /filename\*=UTF-8''([^;\r\n]+)/i.exec(head)?.[1];
        const plainName = /filename="([^"]*)"/.exec(head)?.[1];
        const type = /content-type:\s*([^\r\n]+)/i.exec(head)?.[1] ?? 'application/octet-stream';
        return { name: name ? decodeURIComponent(name) : Buffer.from(plainName ?? 'file', 'latin1').toString('utf8'), mime: type.trim(), data: part.subarray(headEnd + 4) };
      }
      start = next;
    }
    return null;
  }
  function imageSize(data, mime) {
    if (mime === 'image/png' && data.length > 24) return { width: data.readUInt32BE(16), height: data.readUInt32BE(20) };
    if (mime === 'image/svg+xml') {
      const s = data.toString('utf8', 0, 600);
      const w = /width="(\d+)"/.exec(s)?.[1];
      const h = /height="(\d+)"/.exec(s)?.[1];
      if (w && h) return { width: Number(w), height: Number(h) };
    }
    if (mime === 'image/jpeg') {
      let i = 2;
      while (i < data.length - 9) {
        if (data[i] !== 0xff) break;
        const marker = data[i + 1];
        const size = data.readUInt16BE(i + 2);
        if (marker >= 0xc0 && marker <= 0xc3) return { height: data.readUInt16BE(i + 5), width: data.readUInt16BE(i + 7) };
        i += 2 + size;
      }
    }
    return {};
  }
  function store(name, mime, data) {
    const kind = mime.startsWith('image/') ? 'image' : 'file';
    const m = { id: `m${token(8)}`, name, mime, size: data.length, kind, data, ...(kind === 'image' ? imageSize(data, mime) : {}) };
    media.set(m.id, m);
    return m;
  }

  function validateName(c, name) {
    const n = String(name ?? '').trim();
    if (!n) return { name: 'required' };
    if (n.length > 64) return { name: 'too_long' };
    const nm = policy.naming;
    if (nm.enabled && (!c || c.kind === 'group')) {
      const want = nm.pattern.split('-').length;
      const parts = n.split('-').map((p) => p.trim());
      if (parts.length !== want || parts.some((p) => !p) || (nm.group_types.length && !nm.group_types.includes(parts[parts.length - 1]))) return { name: 'naming' };
    }
    return null;
  }
  const namingMessage = () => {
    const ex = policy.naming.pattern.split('-').map((p, i, a) => (i === a.length - 1 ? policy.naming.group_types[0] ?? '项目群' : ['研发中心', '新版官网'][i] ?? '事项')).join('-');
    return [`群名称不符合命名规范“${policy.naming.pattern}”，例如：${ex}`, `The name must follow “${policy.naming.pattern}”, e.g. ${ex}`];
  };

  function usersOfDepartments(ids) {
    const all = new Set();
    for (const d of ids ?? []) for (const x of subtree(Number(d))) members().filter((m) => m.status !== 'departed' && m.departments.some((k) => k.id === x)).forEach((m) => all.add(m.userid));
    return [...all];
  }

  async function handle(ctx) {
    const { method, seg, q, body, send, err, fail, me, lang } = ctx;
    const userid = me.userid;
    const path = `/${seg.join('/')}`;
    const refuse = (status, code, zh, en, fields) => err(fail(status, code, zh, en, fields));
    const conv = (cid) => {
      const c = convs.get(cid);
      return c && c.members.has(userid) ? c : null;
    };

    if (seg[0] === 'admin') {
      if (path === '/admin/chat/policy') {
        if (method === 'GET') return send(200, policy);
        const b = await body();
        const fields = {};
        if (b.naming?.enabled && !String(b.naming.pattern ?? '').trim()) fields['naming.pattern'] = 'required';
        if ((b.naming?.group_types ?? []).some((x) => String(x).includes('-'))) fields['naming.group_types'] = 'format';
        if (!(Number(b.files?.max_bytes) > 0) || Number(b.files?.max_bytes) > 10 * 1024 * 1024 * 1024) fields['files.max_bytes'] = 'out_of_range';
        for (const k of ['direct', 'group', 'department', 'company']) if (!['on', 'aggregate', 'off'].includes(b.receipts?.[k])) fields[`receipts.${k}`] = 'unknown';
        if (Object.keys(fields).length) return refuse(422, 'validation', '请检查标红的字段', 'Check the highlighted fields', fields);
        policy = { receipts: b.receipts, naming: { enabled: !!b.naming.enabled, pattern: b.naming.pattern, group_types: b.naming.group_types ?? [] }, files: { max_bytes: Number(b.files.max_bytes), denied_extensions: b.files.denied_extensions ?? [], allowed_extensions: b.files.allowed_extensions ?? [] } };
        for (const c of convs.values()) convChanged(c);
        return send(200, policy);
      }
      return false;
    }
    if (seg[0] !== 'chat') return false;

    if (path === '/chat/conversations' && method === 'GET') return send(200, { items: convsOf(userid) });
    if (path === '/chat/conversations' && method === 'POST') {
      const b = await body();
      const bad = validateName(null, b.name);
      if (bad) {
        const [zh, en] = bad.name === 'naming' ? namingMessage() : ['请检查群名称', 'Check the group name'];
        return refuse(422, 'validation', zh, en, bad);
      }
      const ids = [...new Set([userid, ...(b.userids ?? []), ...usersOfDepartments(b.department_ids)])];
      if (ids.length < 2) return refuse(422, 'validation', '请至少选择一位成员', 'Choose at least one member', { userids: 'required' });
      const c = newConv('group', String(b.name).trim(), userid, ids, { group_type: b.group_type || null });
      system(c, 'created', {}, userid);
      system(c, 'member_joined', { users: ids.filter((u) => u !== userid).map(person) }, userid);
      convChanged(c, 'added');
      return send(201, convOut(c, userid));
    }
    if (path === '/chat/direct' && method === 'POST') {
      const b = await body();
      const other = members().find((m) => m.userid === b.userid);
      if (!other) return refuse(404, 'member_not_found', '成员不存在', 'Member not found');
      let c = [...convs.values()].find((x) => x.kind === 'direct' && x.members.has(userid) && x.members.has(other.userid) && x.members.size === (other.userid === userid ? 1 : 2));
      if (!c) {
        c = newConv('direct', other.name, null, [...new Set([userid, other.userid])]);
        for (const m of c.members.values()) m.role = 'member';
      }
      return send(200, convOut(c, userid));
    }
    if (path === '/chat/media' && method === 'POST') {
      const raw = await body();
      const f = parseMultipart(raw, ctx.contentType);
      if (!f) return refuse(400, 'bad_request', '没有文件', 'No file');
      const ext = /\.([A-Za-z0-9]+)$/.exec(f.name)?.[1]?.toLowerCase() ?? '';
      if (f.data.length > policy.files.max_bytes) return refuse(413, 'file_too_large', `文件超过 ${Math.round(policy.files.max_bytes / 1048576)} MB 上限`, `The file is larger than ${Math.round(policy.files.max_bytes / 1048576)} MB`);
      if (policy.files.denied_extensions.includes(ext) || (policy.files.allowed_extensions.length && !policy.files.allowed_extensions.includes(ext))) return refuse(422, 'file_type_refused', `企业不允许发送 .${ext} 文件`, `.${ext} files are not allowed`);
      const m = store(f.name, f.mime, f.data);
      return send(200, { media_id: m.id, name: m.name, size: m.size, mime: m.mime, kind: m.kind, width: m.width, height: m.height });
    }
    if (seg[1] === 'media' && seg[2] && method === 'GET') {
      const m = media.get(seg[2]);
      if (!m) return refuse(404, 'not_found', '文件不存在', 'Not found');
      ctx.res.writeHead(200, { 'content-type': m.mime, 'content-length': m.data.length, 'content-disposition': `${m.kind === 'image' ? 'inline' : 'attachment'}; filename*=UTF-8''${encodeURIComponent(m.name)}`, 'cache-control': 'private, max-age=3600' });
      ctx.res.end(m.data);
      return true;
    }
    if (path === '/chat/search') {
      const term = (q.get('q') || '').trim().toLowerCase();
      const type = q.get('type');
      const from = Number(q.get('from') || 0);
      const to = Number(q.get('to') || 0) || Infinity;
      const items = [];
      for (const c of convs.values()) {
        if (!c.members.has(userid) || (q.get('conv') && c.id !== q.get('conv'))) continue;
        for (const e of c.events) {
          if (e.kind !== 'message' || e.recalled || e.at < from || e.at > to) continue;
          if (q.get('sender') && e.sender.userid !== q.get('sender')) continue;
          const text = e.type === 'file' || e.type === 'image' ? (e.content.name ?? '') : e.type === 'text' || e.type === 'markdown' ? excerpt(e) : (e.content.title ?? e.content.articles?.[0]?.title ?? '');
          if (type === 'file' && e.type !== 'file') continue;
          if (type === 'image' && e.type !== 'image') continue;
          if (type === 'link' && !/https?:\/\//.test(e.content.text ?? '') && e.type !== 'news' && e.type !== 'textcard') continue;
          const i = term ? text.toLowerCase().indexOf(term) : 0;
          if (term && i < 0) continue;
          const start = Math.max(0, i - 20);
          const snippet = term ? `${start ? '…' : ''}${text.slice(start, i)}<mark>${text.slice(i, i + term.length)}</mark>${text.slice(i + term.length, i + term.length + 60)}` : text.slice(0, 80);
          items.push({ event: eventOut(e), conversation: { id: c.id, name: convOut(c, userid).name, kind: c.kind }, snippet });
        }
      }
      items.sort((a, b) => b.event.at - a.event.at);
      return send(200, { items: items.slice(0, Number(q.get('limit') || 50)) });
    }
    if (path === '/chat/forward' && method === 'POST') {
      const b = await body();
      const picked = [];
      for (const mid of b.message_ids ?? []) {
        for (const c of convs.values()) {
          const e = c.members.has(userid) && c.events.find((x) => x.id === mid);
          if (e) picked.push({ c, e });
        }
      }
      if (!picked.length) return refuse(404, 'message_not_found', '消息不存在', 'Message not found');
      const targets = (b.to ?? []).map(conv).filter(Boolean);
      if (picked.some(({ c }) => c.settings.no_forward_out) && targets.some((t) => !picked.some(({ c }) => c.id === t.id))) return refuse(403, 'forward_refused', '该群禁止将消息转发到其他会话', 'This group does not allow forwarding out');
      let sent = 0;
      for (const t of targets) {
        if (b.mode === 'merged') {
          const names = [...new Set(picked.map(({ e }) => e.sender.name))].slice(0, 2).join('和');
          const title = picked[0].c.kind === 'direct' ? `${names}的聊天记录` : `群聊“${convOut(picked[0].c, userid).name}”的聊天记录`;
          message(t, userid, 'chat_record', { title, items: picked.map(({ e }) => ({ sender_name: e.sender.name, at: e.at, type: e.type, excerpt: excerpt(e) })) });
          sent++;
        } else {
          for (const { e } of picked) {
            if (e.recalled || e.kind !== 'message') continue;
            message(t, userid, e.type, { ...e.content });
            sent++;
          }
        }
      }
      return send(200, { sent });
    }
    if (path === '/chat/favourites') {
      const list = favourites.get(userid) ?? [];
      if (method === 'POST') {
        const b = await body();
        for (const c of convs.values()) {
          const e = c.members.has(userid) && c.events.find((x) => x.id === b.message_id);
          if (e) {
            const fav = { id: id(), event_id: e.id, conv: c.id, at: now() };
            favourites.set(userid, [fav, ...list]);
            return send(201, { id: fav.id, event: eventOut(e), at: fav.at });
          }
        }
        return refuse(404, 'message_not_found', '消息不存在', 'Message not found');
      }
      return send(200, { items: list.map((f) => ({ id: f.id, at: f.at, event: eventOut(convs.get(f.conv).events.find((e) => e.id === f.event_id)) })) });
    }
    if (seg[1] === 'favourites' && seg[2] && method === 'DELETE') {
      favourites.set(userid, (favourites.get(userid) ?? []).filter((f) => f.id !== seg[2]));
      return send(204);
    }
    if (seg[1] === 'robots' && seg[2] && method === 'DELETE') {
      for (const c of convs.values()) if (c.members.has(userid)) c.robots = c.robots.filter((r) => r.id !== seg[2]);
      return send(204);
    }
    if (seg[1] === 'messages' && seg[2]) {
      let c = null;
      let e = null;
      for (const x of convs.values()) {
        const hit = x.members.has(userid) && x.events.find((ev) => ev.id === seg[2]);
        if (hit) { c = x; e = hit; }
      }
      if (!e) return refuse(404, 'message_not_found', '消息不存在', 'Message not found');
      if (seg[3] === 'recall' && method === 'POST') {
        const mine = e.sender.userid === userid;
        if (!(isManager(c, userid) && c.kind !== 'direct') && !(mine && now() - e.at < DAY)) return refuse(403, 'recall_window', '只能撤回 24 小时内自己发送的消息', 'You can recall only your own messages within 24 hours');
        if (e.recalled) return send(204);
        Object.assign(e, { recalled: true, content: {}, html: null, quote: null, pinned: false });
        append(c, { kind: 'recall', sender: memberSender(userid), content: { target_id: e.id, target_seq: e.seq, by: person(userid) } });
        return send(204);
      }
      if (seg[3] === 'receipts') {
        const mode = receiptsMode(c);
        if (mode === 'off') return refuse(403, 'receipts_off', '该会话未开启已读回执', 'Read receipts are off');
        const others = [...c.members.entries()].filter(([u]) => u !== e.sender.userid);
        const read = others.filter(([, m]) => m.read_seq >= e.seq).map(([u]) => person(u));
        const unread = others.filter(([, m]) => m.read_seq < e.seq).map(([u]) => person(u));
        if (mode === 'aggregate') return send(200, { mode, read_count: read.length, total: others.length });
        return send(200, { mode, read, unread });
      }
      if (seg[3] === 'pin') {
        e.pinned = method === 'PUT';
        system(c, e.pinned ? 'pinned' : 'unpinned', { seq: e.seq, id: e.id }, userid);
        return send(204);
      }
    }

    if (seg[1] !== 'conversations' || !seg[2]) return false;
    const c = conv(seg[2]);
    if (!c) return refuse(404, 'conversation_not_found', '会话不存在', 'Conversation not found');
    const sub = seg[3];
    const manager = isManager(c, userid);
    const needManager = () => (manager ? null : refuse(403, 'forbidden', '仅群主和管理员可以操作', 'Only the owner and admins can do this'));

    if (!sub) {
      if (method === 'GET') return send(200, convOut(c, userid));
      if (method === 'PATCH') {
        const b = await body();
        if (b.name !== undefined && b.name !== c.name) {
          if (c.settings.only_admins_rename && !manager) return refuse(403, 'forbidden', '仅群主和管理员可以修改群名称', 'Only the owner and admins can rename');
          const bad = validateName(c, b.name);
          if (bad) {
            const [zh, en] = bad.name === 'naming' ? namingMessage() : ['请检查群名称', 'Check the group name'];
            return refuse(422, 'validation', zh, en, bad);
          }
          c.name = String(b.name).trim();
          system(c, 'renamed', { name: c.name }, userid);
        }
        if (b.settings) {
          const r = needManager();
          if (r) return r;
          const lim = b.settings.member_limit;
          if (lim !== undefined && (!(Number(lim) >= 2) || Number(lim) < c.members.size)) return refuse(422, 'validation', '人数上限不能少于当前成员数', 'The limit is below the current member count', { member_limit: 'out_of_range' });
          Object.assign(c.settings, b.settings);
          system(c, 'settings', { changes: b.settings }, userid);
        }
        if (b.group_type !== undefined) c.group_type = b.group_type;
        convChanged(c);
        return send(200, convOut(c, userid));
      }
    }
    if (sub === 'me' && method === 'PATCH') {
      const b = await body();
      const st = myState(c, userid);
      for (const k of ['muted', 'pinned', 'marked_unread']) if (typeof b[k] === 'boolean') st[k] = b[k];
      if (typeof b.draft === 'string') st.draft = b.draft;
      convChanged(c, 'updated', [userid]);
      return send(200, convOut(c, userid));
    }
    if (sub === 'members') {
      if (method === 'GET' && !seg[4]) {
        return send(200, { items: [...c.members.entries()].map(([u, m]) => {
          const x = members().find((k) => k.userid === u);
          return { userid: u, name: x?.name ?? u, avatar: '', position: x?.position ?? '', role: m.role, read_seq: receiptsMode(c) === 'off' ? null : m.read_seq, last_active_at: m.last_active_at };
        }) });
      }
      if (method === 'POST') {
        if (c.kind !== 'group' || c.status !== 'active') return refuse(409, 'conversation_read_only', '该会话不能添加成员', 'Members cannot be added here');
        const b = await body();
        const ids = [...new Set([...(b.userids ?? []), ...usersOfDepartments(b.department_ids)])].filter((u) => !c.members.has(u) && members().some((m) => m.userid === u));
        if (c.members.size + ids.length > c.settings.member_limit) return refuse(409, 'member_limit', '超过群人数上限', 'The group is full');
        if (c.settings.invite_needs_approval && !manager) {
          for (const u of ids) c.requests.push({ id: id(), userid: u, name: person(u).name, invited_by: person(userid), at: now() });
          convChanged(c, 'updated', [...c.members.keys()].filter((u) => isManager(c, u)));
          return send(200, { added: [], pending: ids.map(person) });
        }
        for (const u of ids) c.members.set(u, { role: 'member', read_seq: c.events.length, last_active_at: null });
        if (ids.length) system(c, 'member_joined', { users: ids.map(person) }, userid);
        convChanged(c, 'added', ids);
        return send(200, { added: ids.map(person), pending: [] });
      }
      if (method === 'DELETE' && seg[4]) {
        const target = decodeURIComponent(seg[4]);
        if (!c.members.has(target)) return send(204);
        if (target === userid) {
          if (c.members.get(target).role === 'owner') return refuse(409, 'owner_must_transfer', '群主需先转让群主才能退出', 'Transfer ownership before leaving');
          system(c, 'member_left', { users: [person(target)] }, null);
        } else {
          const r = needManager();
          if (r) return r;
          if (c.members.get(target).role !== 'member' && c.members.get(userid).role !== 'owner') return refuse(403, 'forbidden', '管理员不能移出群主或其他管理员', 'Admins cannot remove the owner or other admins');
          system(c, 'member_removed', { users: [person(target)] }, userid);
        }
        c.members.delete(target);
        convChanged(c, 'removed', [target]);
        return send(204);
      }
    }
    if (sub === 'join-requests') {
      const r = needManager();
      if (r) return r;
      if (method === 'GET') return send(200, { items: c.requests });
      const req = c.requests.find((x) => x.id === seg[4]);
      if (!req) return refuse(404, 'not_found', '申请不存在', 'Request not found');
      const b = await body();
      c.requests = c.requests.filter((x) => x !== req);
      if (b.approve) {
        c.members.set(req.userid, { role: 'member', read_seq: c.events.length, last_active_at: null });
        system(c, 'member_joined', { users: [person(req.userid)] }, userid);
        convChanged(c, 'added', [req.userid]);
      }
      return send(204);
    }
    if (sub === 'admins' && seg[4]) {
      if (c.members.get(userid)?.role !== 'owner') return refuse(403, 'forbidden', '仅群主可以设置管理员', 'Only the owner can set admins');
      const target = decodeURIComponent(seg[4]);
      const m = c.members.get(target);
      if (!m || m.role === 'owner') return refuse(404, 'member_not_found', '成员不存在', 'Member not found');
      m.role = method === 'PUT' ? 'admin' : 'member';
      system(c, method === 'PUT' ? 'admin_added' : 'admin_removed', { users: [person(target)] }, userid);
      convChanged(c);
      return send(204);
    }
    if (sub === 'transfer') {
      if (c.members.get(userid)?.role !== 'owner') return refuse(403, 'forbidden', '仅群主可以转让', 'Only the owner can transfer');
      const b = await body();
      const m = c.members.get(b.userid);
      if (!m) return refuse(404, 'member_not_found', '成员不存在', 'Member not found');
      c.members.get(userid).role = 'member';
      m.role = 'owner';
      c.owner = b.userid;
      system(c, 'owner_changed', { users: [person(b.userid)] }, userid);
      convChanged(c);
      return send(204);
    }
    if (sub === 'announcement') {
      if (seg[4] === 'read') {
        c.announcement?.readers.add(userid);
        return send(204);
      }
      if (seg[4] === 'readers') {
        const readers = c.announcement?.readers ?? new Set();
        const all = [...c.members.keys()];
        return send(200, { read: all.filter((u) => readers.has(u)).map(person), unread: all.filter((u) => !readers.has(u)).map(person) });
      }
      const r = needManager();
      if (r) return r;
      const b = await body();
      const text = String(b.text ?? '').trim();
      c.announcement = text ? { text, at: now(), by: userid, readers: new Set([userid]) } : null;
      if (text) system(c, 'announcement', { text }, userid);
      convChanged(c);
      return send(200, convOut(c, userid));
    }
    if (sub === 'archive' || sub === 'dissolve') {
      if (c.members.get(userid)?.role !== 'owner') return refuse(403, 'forbidden', '仅群主可以操作', 'Only the owner can do this');
      system(c, sub === 'archive' ? 'archived' : 'dissolved', {}, userid);
      c.status = sub === 'archive' ? 'archived' : 'dissolved';
      convChanged(c);
      return send(204);
    }
    if (sub === 'inactive') {
      const r = needManager();
      if (r) return r;
      const days = Number(q.get('days') || 30);
      const cut = now() - days * DAY;
      return send(200, { items: [...c.members.entries()].filter(([u, m]) => u !== userid && m.role !== 'owner' && (m.last_active_at ?? 0) < cut).map(([u, m]) => ({ ...person(u), last_active_at: m.last_active_at })) });
    }
    if (sub === 'events') {
      const after = Number(q.get('after') || 0);
      const limit = Math.min(500, Number(q.get('limit') || 200));
      return send(200, { items: c.events.filter((e) => e.seq > after).slice(0, limit).map(eventOut), last_seq: c.events.length });
    }
    if (sub === 'messages' && method === 'GET') {
      const before = Number(q.get('before') || 0) || Infinity;
      const limit = Math.min(200, Number(q.get('limit') || 50));
      const list = c.events.filter((e) => e.seq < before);
      return send(200, { items: list.slice(-limit).map(eventOut) });
    }
    if (sub === 'messages' && method === 'POST') {
      const r = resolveSend(c, userid, await body());
      if (r.error) return refuse(...r.error);
      return send(201, eventOut(r.event));
    }
    if (sub === 'context' && seg[4]) {
      const seq = Number(seg[4]);
      return send(200, { items: c.events.filter((e) => e.seq >= seq - 20 && e.seq <= seq + 20).map(eventOut) });
    }
    if (sub === 'read' && method === 'POST') {
      const b = await body();
      markRead(c, userid, Number(b.seq) || 0);
      return send(204);
    }
    if (sub === 'pins') return send(200, { items: c.events.filter((e) => e.pinned && !e.recalled).map(eventOut) });
    if (sub === 'robots') {
      if (method === 'GET') return send(200, { items: c.robots.map(({ key, ...r }) => r) });
      const b = await body();
      if (!String(b.name ?? '').trim()) return refuse(422, 'validation', '请填写机器人名称', 'Name required', { name: 'required' });
      const key = `${token(4)}-${token(2)}-${token(2)}-${token(6)}`;
      const r = { id: id(), name: String(b.name).trim(), key, webhook_url: `http://127.0.0.1:${port}/cgi-bin/webhook/send?key=${key}`, created_at: now() };
      c.robots.push(r);
      return send(201, { id: r.id, name: r.name, key, webhook_url: r.webhook_url });
    }
    void lang;
    return false;
  }

  // ---------- sample data ----------
  function seed(me) {
    const t0 = now();
    const at = (days, h, m) => {
      const d = new Date(t0 - days * DAY);
      d.setHours(h, m, 0, 0);
      return Math.min(d.getTime(), t0 - 60000);
    };
    const svg = (w, h, title, colour) => Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}"><defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="${colour}"/><stop offset="1" stop-color="#0b1f44"/></linearGradient></defs><rect width="${w}" height="${h}" fill="url(#g)"/><g fill="none" stroke="rgba(255,255,255,.35)" stroke-width="3"><rect x="${w * 0.1}" y="${h * 0.2}" width="${w * 0.25}" height="${h * 0.22}" rx="10"/><rect x="${w * 0.55}" y="${h * 0.2}" width="${w * 0.3}" height="${h * 0.22}" rx="10"/><rect x="${w * 0.3}" y="${h * 0.6}" width="${w * 0.4}" height="${h * 0.22}" rx="10"/><path d="M${w * 0.35} ${h * 0.31}H${w * 0.55}M${w * 0.5} ${h * 0.42}V${h * 0.6}"/></g><text x="${w / 2}" y="${h * 0.12}" fill="#fff" font-size="${Math.round(h / 14)}" font-family="sans-serif" text-anchor="middle">${title}</text></svg>`);
    const arch = store('系统架构图-v3.svg', 'image/svg+xml', svg(960, 640, '企协 · 系统架构 v3', '#0052d9'));
    const shot = store('首页改版.svg', 'image/svg+xml', svg(720, 1280, '首页改版 · 移动端', '#2ba471'));
    const pdf = store('2024Q3 产品路线图.pdf', 'application/pdf', Buffer.alloc(2_457_600, 32));
    const xlsx = store('9月报销汇总.xlsx', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', Buffer.alloc(182_000, 32));

    const lisi = newConv('direct', '李四', null, [me, 'lisi']);
    for (const m of lisi.members.values()) m.role = 'member';
    message(lisi, 'lisi', 'text', { text: '陈总，存储小组的压测报告我放在群文件里了，结论是 2 核机器上 2000 人群消息 P99 在 60ms 以内。' }, {}, at(1, 16, 2));
    message(lisi, me, 'text', { text: '很好！周会上你来讲一下，重点说说和上个版本的对比。' }, {}, at(1, 16, 10));
    message(lisi, 'lisi', 'file', { media_id: pdf.id, name: pdf.name, size: pdf.size, mime: pdf.mime }, {}, at(1, 16, 12));
    message(lisi, 'lisi', 'text', { text: '刚才发错了，撤回一下' }, {}, at(0, 9, 30));
    const wrong = lisi.events[lisi.events.length - 1];
    Object.assign(wrong, { recalled: true, content: {}, html: null });
    append(lisi, { kind: 'recall', sender: memberSender('lisi'), content: { target_id: wrong.id, target_seq: wrong.seq, by: person('lisi') } }, at(0, 9, 31));
    message(lisi, 'lisi', 'image', { media_id: arch.id, name: arch.name, size: arch.size, width: arch.width, height: arch.height }, {}, at(0, 9, 32));
    const q1 = lisi.events[lisi.events.length - 1];
    message(lisi, me, 'text', { text: '这张图里消息总线那块再标一下 NATS 的 subject 规则' }, { quote: { id: q1.id, seq: q1.seq, sender_name: '李四', excerpt: '[图片]' } }, at(0, 9, 40));
    message(lisi, 'lisi', 'text', { text: '好的，下午改完发你 👌' }, {}, at(0, 9, 41));
    message(lisi, me, 'text', { text: '另外周五前把发布清单整理出来，辛苦' }, {}, at(0, 10, 5));
    lisi.members.get('lisi').read_seq = lisi.events.length;
    lisi.members.get(me).read_seq = lisi.events.length;

    const proj = newConv('group', '研发中心-新版官网-项目群', me, [me, 'zhangsan', 'lisi', 'wangwu', 'zhaoliu', 'sunqi', 'zhouba', 'wujiu', 'gaoyuan', 'luoxin', 'majun'], { group_type: '项目群' });
    proj.members.get('zhaoliu').role = 'admin';
    system(proj, 'created', {}, me, at(6, 10, 0));
    system(proj, 'member_joined', { users: ['zhangsan', 'lisi', 'wangwu', 'zhaoliu', 'sunqi', 'zhouba', 'wujiu', 'gaoyuan', 'luoxin', 'majun'].map(person) }, me, at(6, 10, 0));
    message(proj, 'zhouba', 'text', { text: '各位，新版官网的需求文档已经更新到 v1.3，主要变化是首页信息架构调整和多语言切换。' }, {}, at(2, 14, 20));
    message(proj, 'wujiu', 'image', { media_id: shot.id, name: shot.name, size: shot.size, width: shot.width, height: shot.height }, {}, at(2, 14, 26));
    message(proj, 'wangwu', 'text', { text: '设计稿收到，移动端的导航我这周内出第一版' }, {}, at(2, 15, 1));
    const pinned = message(proj, me, 'markdown', { text: '**上线节奏**\n- 10/14 提测\n- 10/18 灰度 10%\n- 10/21 全量发布\n\n有风险请提前在群里同步。' }, {}, at(1, 9, 0));
    pinned.pinned = true;
    system(proj, 'pinned', { seq: pinned.seq }, me, at(1, 9, 1));
    system(proj, 'renamed', { name: '研发中心-新版官网-项目群' }, 'zhaoliu', at(1, 9, 5));
    append(proj, { sender: { kind: 'robot', userid: null, name: '构建机器人', avatar: '' }, type: 'markdown', content: { text: '### 构建通过 #1824\n> 分支 `release/2.4` · 耗时 6m12s\n- 单元测试 1,284 项全部通过\n- 产物 [qixie-2.4.0.tar.gz](https://ci.example.com/builds/1824)' }, html: render('markdown', '### 构建通过 #1824\n> 分支 `release/2.4` · 耗时 6m12s\n- 单元测试 1,284 项全部通过\n- 产物 [qixie-2.4.0.tar.gz](https://ci.example.com/builds/1824)') }, at(0, 8, 45));
    message(proj, 'sunqi', 'text', { text: '回归测试发现登录页在 iOS 15 下按钮错位，已提缺陷 QX-2317', }, { urgent: true }, at(0, 10, 12));
    message(proj, 'zhaoliu', 'text', { text: '@{admin} 这个缺陷会影响 18 号的灰度吗？需要你拍板一下' }, { mentions: [me] }, at(0, 10, 20));
    message(proj, 'gaoyuan', 'text', { text: '下周的架构评审材料大家有空再看，不着急' }, { not_urgent: true }, at(0, 10, 26));
    for (const [u, m] of proj.members) m.read_seq = u === me ? proj.events.length - 4 : proj.events.length - (u.length % 3);
    proj.members.get(me).read_seq = proj.events.length - 3;
    proj.announcement = { text: '本群用于新版官网项目沟通。需求变更请先在需求文档中评论，再在群里 @ 相关同学；每日 17:30 前同步进度。', at: at(1, 9, 10), by: me, readers: new Set([me, 'zhaoliu', 'lisi']) };
    proj.members.get('wangwu').last_active_at = at(2, 15, 1);
    proj.members.get('luoxin').last_active_at = null;

    const fe = newConv('department', '前端组', 'zhaoliu', ['zhaoliu', 'wangwu', 'liangyu', me], { department_id: 7 });
    // A longer history, to scroll back through pages of `messages?before=`.
    const lines = ['今天的站会改到 10:15', '组件库升级到 TDesign 1.20 了', 'CI 上的 e2e 偶发失败，我在查', '周报记得写', '谁有空帮忙 review 一下 #812', '首页 LCP 降到 1.6s 了 🎉', '移动端底部导航的图标换了一版', '明天上午我请假半天'];
    const people = ['zhaoliu', 'wangwu', 'liangyu', me];
    for (let i = 0; i < 120; i++) message(fe, people[i % 4], 'text', { text: `${lines[i % lines.length]}（${i + 1}）` }, {}, at(9 - Math.floor(i / 14), 9 + (i % 14) / 2, (i * 7) % 60));
    for (const m of fe.members.values()) m.read_seq = fe.events.length;
    message(fe, 'liangyu', 'text', { text: 'Vite 7 升级分支已合并，本地需要重新 npm ci' }, {}, at(0, 11, 2));
    message(fe, 'wangwu', 'text', { text: '收到' }, {}, at(0, 11, 5));
    myState(fe, me).muted = true;

    const all = newConv('company', '星辰科技全员群', me, members().filter((m) => m.status === 'active').map((m) => m.userid), {});
    all.settings.mute_all = true;
    system(all, 'created', {}, me, at(30, 9, 0));
    message(all, 'hemei', 'markdown', { text: '**国庆放假通知**\n10 月 1 日至 7 日放假调休，共 7 天。9 月 29 日（周日）正常上班。' }, {}, at(5, 17, 0));
    all.announcement = { text: '欢迎加入星辰科技！请在“通讯录”中完善个人资料。', at: at(30, 9, 0), by: 'hemei', readers: new Set(members().map((m) => m.userid)) };
    for (const m of all.members.values()) m.read_seq = all.events.length;

    const app = newConv('app', '监控告警', null, [me, 'gaoyuan'], { app: { agentid: 1000002, name: '监控告警' } });
    append(app, { sender: { kind: 'app', userid: null, name: '监控告警', avatar: '' }, type: 'textcard', content: { title: '【已恢复】api-gateway 5xx 比例', description: '<div class="gray">2024-10-12 03:12</div><div class="normal">持续 4 分钟，峰值 2.3%</div><div class="highlight">已自动恢复</div>', url: 'https://grafana.example.com/d/api', btntxt: '查看面板' } }, at(1, 3, 16));
    append(app, { sender: { kind: 'app', userid: null, name: '监控告警', avatar: '' }, type: 'template_card', content: { card_type: 'text_notice', source: { desc: 'Prometheus' }, main_title: { title: '磁盘使用率超过 85%', desc: 'db-primary-02' }, emphasis_content: { title: '87.4%', desc: '/var/lib/postgresql' }, horizontal_content_list: [{ keyname: '级别', value: 'P2' }, { keyname: '负责人', value: '罗欣' }], card_action: { type: 1, url: 'https://grafana.example.com/d/disk' } } }, at(0, 7, 58));
    for (const m of app.members.values()) m.read_seq = 0;

    const zhouba = newConv('direct', '周八', null, [me, 'zhouba']);
    for (const m of zhouba.members.values()) m.role = 'member';
    message(zhouba, 'zhouba', 'text', { text: '评审会议室订好了，3 楼“银河”' }, {}, at(3, 11, 0));
    for (const m of zhouba.members.values()) m.read_seq = zhouba.events.length;
    myState(zhouba, me).draft = '明天的评审改到下午三点？';

    const wangwu = newConv('direct', '王五', null, [me, 'wangwu']);
    for (const m of wangwu.members.values()) m.role = 'member';
    message(wangwu, 'wangwu', 'file', { media_id: xlsx.id, name: xlsx.name, size: xlsx.size, mime: xlsx.mime }, {}, at(4, 10, 0));
    message(wangwu, me, 'text', { text: '收到，我周一审批' }, {}, at(4, 10, 30));
    for (const m of wangwu.members.values()) m.read_seq = wangwu.events.length;
    myState(wangwu, me).pinned = true;

    const market = newConv('group', '市场部-秋季发布会-讨论群', 'zhengshi', ['zhengshi', 'liuyang', 'huangli', 'linfeng', me], { group_type: '讨论群' });
    system(market, 'created', {}, 'zhengshi', at(8, 9, 0));
    append(market, { sender: { kind: 'robot', userid: null, name: '舆情日报', avatar: '' }, type: 'news', content: { articles: [{ title: '秋季发布会预热文章阅读量破 10 万', description: '公众号首发 24 小时数据', url: 'https://example.com/news/1', picurl: '' }, { title: '竞品 9 月动态汇总', url: 'https://example.com/news/2' }] } }, at(1, 8, 0));
    message(market, me, 'chat_record', { title: '李四和陈静的聊天记录', items: [{ sender_name: '李四', at: at(1, 16, 2), type: 'text', excerpt: '压测结论：2 核机器上 2000 人群消息 P99 在 60ms 以内' }, { sender_name: '陈静', at: at(1, 16, 10), type: 'text', excerpt: '很好！周会上你来讲一下' }] }, {}, at(1, 18, 0));
    for (const m of market.members.values()) m.read_seq = market.events.length;

    const annual = newConv('group', '行政部-2023年会筹备-通知群', 'hemei', ['hemei', 'guoqiang', me, 'zhouba'], { group_type: '通知群' });
    message(annual, 'hemei', 'text', { text: '年会圆满结束，感谢大家！本群将归档，资料可随时搜索查看。' }, {}, at(40, 18, 0));
    system(annual, 'archived', {}, 'hemei', at(40, 18, 5));
    annual.status = 'archived';
    for (const m of annual.members.values()) m.read_seq = annual.events.length;
  }

  if (withSeed && members().some((m) => m.userid === 'admin')) seed('admin');

  /** An app's message to one member, in their conversation with the app (created on first use). */
  function appMessage(name, agentid, userid, type, content) {
    let c = [...convs.values()].find((x) => x.kind === 'app' && x.app?.agentid === agentid && x.members.has(userid));
    if (!c) c = newConv('app', name, null, [userid], { app: { agentid, name } });
    return append(c, { sender: { kind: 'app', userid: null, name, avatar: '' }, type, content });
  }

  return { handle, upgrade, appMessage, media: (id) => media.get(id) ?? null };
}
