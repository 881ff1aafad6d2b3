// Development stand-in for the Qixie server: serves web/dist and an in-memory version of the REST
// contract in docs/api/rest.md (and, through mock-chat.mjs, of docs/api/chat.md and the realtime
// WebSocket of docs/api/realtime.md), so the client can be worked on and screenshotted without the Rust
// server. Not used by the product. Run: npm run build && node scripts/mock-api.mjs [--fresh] [--port 5178]
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { pinyin } from 'pinyin-pro';
import { createApprovals } from './mock-approvals.mjs';
import { createChat } from './mock-chat.mjs';

const args = process.argv.slice(2);
const PORT = Number(args[args.indexOf('--port') + 1] || 0) || 5178;
const FRESH = args.includes('--fresh');
const DIST = fileURLToPath(new URL('../dist/', import.meta.url));
const now = () => Date.now();
const token = (n = 16) => randomBytes(n).toString('hex');

// ---------- data ----------
const PERMS = ['contacts.manage', 'contacts.import', 'roles.manage', 'apps.manage', 'audit.read', 'security.manage', 'approvals.manage'];
let corp = FRESH ? null : { corp_id: 'wwqx7a1c2e9d', name: '星辰科技有限公司', industry: 'internet', size: '101-500' };
let departments = [];
let members = [];
let tags = [];
let admins = [];
let apps = [];
let audit = [];
let sessions = [];
let passwords = new Map();
let security = { password_min_length: 8, password_rotation_days: 90, login_max_failures: 5, login_lock_minutes: 15 };
let contactsSync = { configured: true, rotated_at: now() - 86400000 * 12 };
let nextDept = 100;
let nextTag = 10;
let nextAgent = 1000003;
let nextAudit = 1;

function initials(name) {
  return pinyin(name, { pattern: 'first', toneType: 'none', type: 'array' }).join('').toLowerCase();
}
function full(name) {
  return pinyin(name, { toneType: 'none', type: 'array' }).join('').toLowerCase();
}

function seed() {
  const D = (id, parent_id, name, order) => ({ id, parent_id, name, order, leader_userids: [] });
  departments = [
    D(1, null, '星辰科技', 0), D(2, 1, '研发中心', 10), D(3, 1, '产品部', 20), D(4, 1, '市场部', 30), D(5, 1, '人力行政部', 40),
    D(6, 2, '后端组', 10), D(7, 2, '前端组', 20), D(8, 2, '测试组', 30), D(9, 4, '华东销售', 10), D(10, 4, '华南销售', 20), D(11, 6, '存储小组', 10),
  ];
  const people = [
    ['admin', '陈静', 1, '总经理'], ['zhangsan', '张三', 6, '后端工程师'], ['lisi', '李四', 6, '高级后端工程师'], ['wangwu', '王五', 7, '前端工程师'],
    ['zhaoliu', '赵六', 7, '前端负责人'], ['sunqi', '孙琦', 8, '测试工程师'], ['zhouba', '周八', 3, '产品经理'], ['wujiu', '吴玖', 3, '交互设计师'],
    ['zhengshi', '郑诗', 4, '市场总监'], ['liuyang', '刘洋', 9, '销售经理'], ['huangli', '黄丽', 9, '销售代表'], ['linfeng', '林峰', 10, '销售代表'],
    ['hemei', '何美', 5, 'HRBP'], ['guoqiang', '郭强', 5, '行政专员'], ['luoxin', '罗欣', 11, '存储工程师'], ['gaoyuan', '高远', 2, '研发总监'],
    ['majun', '马骏', 6, '后端工程师'], ['liangyu', '梁宇', 7, '前端工程师'], ['songjia', '宋佳', 8, '测试工程师'], ['tangning', '唐宁', 3, '产品经理'],
  ];
  members = people.map(([userid, name, dept, position], i) => ({
    userid, name, alias: null, employee_no: `XC${String(1001 + i)}`, mobile: `138${String(10000000 + i * 7919).slice(0, 8)}`,
    email: `${userid}@xingchen.example`, position, gender: i % 3 === 1 ? '2' : '1', avatar: null,
    status: i === 17 ? 'frozen' : i === 18 ? 'not_activated' : 'active',
    departments: [{ id: dept, is_main: true, order: 0 }], main_department: dept, leader_userid: i === 0 ? null : 'gaoyuan',
    tag_ids: i % 4 === 0 ? [1] : i % 5 === 0 ? [2] : [], created_at: now() - 86400000 * (200 - i),
  }));
  departments.find((d) => d.id === 2).leader_userids = ['gaoyuan'];
  departments.find((d) => d.id === 7).leader_userids = ['zhaoliu'];
  departments.find((d) => d.id === 4).leader_userids = ['zhengshi'];
  tags = [{ id: 1, name: '核心骨干' }, { id: 2, name: '新员工' }, { id: 3, name: '党员' }];
  admins = [
    { userid: 'admin', is_super: true, permissions: [...PERMS], scope: { all: true, department_ids: [] } },
    { userid: 'hemei', is_super: false, permissions: ['contacts.manage', 'contacts.import'], scope: { all: true, department_ids: [] } },
    { userid: 'zhengshi', is_super: false, permissions: ['contacts.manage'], scope: { all: false, department_ids: [4] } },
  ];
  apps = [
    { agentid: 1000001, name: 'HR 系统同步', description: '每日同步人事系统的组织与人员变动', logo: null, visible_department_ids: [5], visible_userids: [], scopes: ['contacts.read', 'contacts.write'], created_at: now() - 86400000 * 40, secret_rotated_at: now() - 86400000 * 3 },
    { agentid: 1000002, name: '监控告警', description: '把 Prometheus 告警推送给值班人员', logo: null, visible_department_ids: [2], visible_userids: ['gaoyuan'], scopes: ['message'], created_at: now() - 86400000 * 20, secret_rotated_at: null },
  ];
  passwords.set('admin', 'qixie2024');
  passwords.set('songjia', 'welcome2024');
  for (let i = 0; i < 26; i++) {
    const kinds = ['member.create', 'member.update', 'department.update', 'admin.grant', 'member.freeze'];
    const m = members[(i * 3) % members.length];
    log('admin', kinds[i % kinds.length], m.userid, { position: '工程师', mobile: m.mobile }, { position: m.position, mobile: m.mobile }, now() - i * 3600_000 * 5);
  }
}

function log(actor, kind, target, before, after, at = now()) {
  const a = members.find((m) => m.userid === actor);
  audit.unshift({ id: nextAudit++, at, actor, actor_name: a?.name ?? actor, ip: '10.0.3.21', kind, target, before, after });
}

if (!FRESH) seed();

// Messaging (docs/api/chat.md) and the realtime WebSocket (docs/api/realtime.md): see mock-chat.mjs.
const sessionOf = (req) => sessions.find((x) => x.id === cookie(req, 'qixie_session')) ?? null;
const chat = createChat({ members: () => members, departments: () => departments, subtree, sessionOf, port: PORT, seed: !FRESH });
// Approvals (docs/api/approvals.md): see mock-approvals.mjs. Notifications go to each member's 审批 app conversation.
const approvals = createApprovals({
  members: () => members,
  departments: () => departments,
  person: (userid) => ({ userid, name: members.find((m) => m.userid === userid)?.name ?? userid }),
  notify: (userid, content) => chat.appMessage('审批', 3010040, userid, 'template_card', content),
  media: (id) => chat.media(id),
  seed: !FRESH,
});

// ---------- views ----------
function deptOut(d) {
  const sub = subtree(d.id);
  const count = members.filter((m) => m.status !== 'departed' && m.departments.some((x) => sub.includes(x.id))).length;
  return { id: d.id, parent_id: d.parent_id, name: d.name, order: d.order, leader_userids: d.leader_userids, member_count: count };
}
function ordered() {
  const out = [];
  const walk = (pid) => departments.filter((d) => d.parent_id === pid).sort((a, b) => a.order - b.order || a.id - b.id).forEach((d) => { out.push(d); walk(d.id); });
  walk(null);
  return out;
}
function subtree(id) {
  const out = [id];
  departments.filter((d) => d.parent_id === id).forEach((c) => out.push(...subtree(c.id)));
  return out;
}
function memberOut(m) {
  const leader = members.find((x) => x.userid === m.leader_userid);
  return {
    ...m, tag_ids: undefined,
    departments: m.departments.map((x) => ({ ...x, name: departments.find((d) => d.id === x.id)?.name ?? '' })),
    leader_name: leader?.name ?? null,
    is_leader_in: departments.filter((d) => d.leader_userids.includes(m.userid)).map((d) => d.id),
    tags: tags.filter((t) => m.tag_ids.includes(t.id)).map((t) => ({ id: t.id, name: t.name })),
    pinyin_initials: initials(m.name),
  };
}
function filterMembers(q, withStatus = false) {
  let list = members.filter((m) => withStatus || m.status !== 'departed');
  if (q.get('department_id')) {
    const id = Number(q.get('department_id'));
    const ids = q.get('recursive') === 'true' ? subtree(id) : [id];
    list = list.filter((m) => m.departments.some((x) => ids.includes(x.id)));
  }
  if (withStatus && q.get('status')) list = list.filter((m) => m.status === q.get('status'));
  const term = (q.get('q') || '').trim().toLowerCase();
  if (term) list = list.filter((m) => m.name.includes(term) || initials(m.name).startsWith(term) || full(m.name).includes(term) || m.userid.includes(term) || (m.mobile || '').includes(term));
  const offset = Number(q.get('offset') || 0);
  const limit = Number(q.get('limit') || 50);
  return { items: list.slice(offset, offset + limit).map(memberOut), total: list.length };
}
function adminOut(a) {
  return { ...a, name: members.find((m) => m.userid === a.userid)?.name ?? a.userid };
}
function meOut(s) {
  const m = members.find((x) => x.userid === s.userid);
  const a = admins.find((x) => x.userid === s.userid);
  return {
    user: memberOut(m), corp, permissions: a ? (a.is_super ? PERMS : a.permissions) : [], is_super_admin: !!a?.is_super,
    admin_scope: a ? a.scope : null, csrf_token: s.csrf, must_change_password: !!s.must_change,
  };
}

// ---------- http ----------
class Fail extends Error {
  constructor(status, code, message, fields) { super(message); Object.assign(this, { status, code, fields }); }
}
const fail = (status, code, zh, en, fields) => ({ status, code, zh, en, fields });

function send(res, status, body, headers = {}) {
  if (body === undefined) { res.writeHead(status, headers); res.end(); return; }
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}
function cookie(req, name) {
  return (req.headers.cookie || '').split(/;\s*/).map((c) => c.split('=')).find(([k]) => k === name)?.[1];
}
async function body(req) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  const buf = Buffer.concat(chunks);
  if ((req.headers['content-type'] || '').includes('json')) return buf.length ? JSON.parse(buf.toString('utf8')) : {};
  return buf;
}

async function api(req, res, url) {
  const path = url.pathname.slice('/api/v1'.length);
  const method = req.method;
  const q = url.searchParams;
  const lang = (req.headers['accept-language'] || '').startsWith('en') ? 'en' : 'zh';
  const err = (e) => send(res, e.status, { error: { code: e.code, message: lang === 'en' ? e.en : e.zh, key: `error.${e.code}`, ...(e.fields ? { fields: e.fields } : {}) } });
  const sid = cookie(req, 'qixie_session');
  const s = sessions.find((x) => x.id === sid);
  const seg = path.split('/').filter(Boolean);

  if (path === '/setup/status') return send(res, 200, { needs_setup: !corp, default_corp_id: corp?.corp_id ?? null });
  if (path === '/setup' && method === 'POST') {
    if (corp) return err(fail(409, 'already_set_up', '企业已创建', 'Already set up'));
    const b = await body(req);
    corp = { corp_id: 'ww' + token(5), name: b.corp_name, industry: b.industry, size: b.size };
    departments = [{ id: 1, parent_id: null, name: b.corp_name, order: 0, leader_userids: [] }];
    members = [{ userid: b.admin_account, name: b.admin_name, status: 'active', departments: [{ id: 1, is_main: true, order: 0 }], main_department: 1, tag_ids: [], gender: '0', created_at: now() }];
    admins = [{ userid: b.admin_account, is_super: true, permissions: [...PERMS], scope: { all: true, department_ids: [] } }];
    passwords.set(b.admin_account, b.admin_password);
    return send(res, 201, { corp_id: corp.corp_id });
  }
  if (path === '/auth/login' && method === 'POST') {
    const b = await body(req);
    const m = members.find((x) => x.userid === b.account);
    if (b.account === 'locked') return err(fail(423, 'account_locked', '帐号已锁定，请 15 分钟后再试', 'Account locked; try again in 15 minutes'));
    if (!m || passwords.get(m.userid) !== b.password) return err(fail(401, 'bad_credentials', '帐号或密码错误', 'Wrong account or password'));
    const ns = { id: token(8), userid: m.userid, csrf: token(), device: b.device || null, ip: '127.0.0.1', created_at: now(), last_seen_at: now(), must_change: m.status === 'not_activated' };
    sessions.push(ns);
    if (sessions.filter((x) => x.userid === m.userid).length === 1) sessions.push({ id: token(8), userid: m.userid, csrf: token(), device: 'WeCom · iOS', ip: '10.0.8.77', created_at: now() - 86400000 * 2, last_seen_at: now() - 3600_000 });
    return send(res, 200, { user: memberOut(m), must_change_password: ns.must_change, csrf_token: ns.csrf }, { 'set-cookie': `qixie_session=${ns.id}; HttpOnly; SameSite=Lax; Path=/` });
  }
  if (!s) return err(fail(401, 'unauthenticated', '请先登录', 'Please sign in'));
  if (method !== 'GET' && req.headers['x-csrf-token'] !== s.csrf) return err(fail(403, 'csrf', '请求已失效，请刷新页面', 'Stale request; reload the page'));
  s.last_seen_at = now();
  const me = members.find((x) => x.userid === s.userid);

  if (path === '/auth/logout') { sessions = sessions.filter((x) => x.id !== s.id); return send(res, 204); }
  if (path === '/me') return send(res, 200, meOut(s));
  if (path === '/me/password') {
    const b = await body(req);
    if (passwords.get(me.userid) !== b.old_password) return err(fail(422, 'validation', '当前密码不正确', 'Current password is wrong', { old_password: 'mismatch' }));
    passwords.set(me.userid, b.new_password); s.must_change = false;
    return send(res, 204);
  }
  if (path === '/me/profile') { Object.assign(me, await body(req)); return send(res, 200, { user: memberOut(me) }); }
  if (path === '/me/sessions') return send(res, 200, { items: sessions.filter((x) => x.userid === me.userid).map((x) => ({ id: x.id, device: x.device, ip: x.ip, created_at: x.created_at, last_seen_at: x.last_seen_at, current: x.id === s.id })) });
  if (seg[0] === 'me' && seg[1] === 'sessions' && method === 'DELETE') { sessions = sessions.filter((x) => x.id !== seg[2]); return send(res, 204); }

  if (path === '/directory/departments' || (path === '/admin/departments' && method === 'GET')) return send(res, 200, { items: ordered().map(deptOut) });
  if (path === '/directory/members' || (path === '/admin/members' && method === 'GET')) return send(res, 200, filterMembers(q, path.startsWith('/admin')));
  if ((seg[0] === 'directory' || seg[0] === 'admin') && seg[1] === 'members' && seg.length === 3 && method === 'GET' && seg[2] !== 'export') {
    const m = members.find((x) => x.userid === decodeURIComponent(seg[2]));
    return m ? send(res, 200, { member: memberOut(m) }) : err(fail(404, 'member_not_found', '成员不存在', 'Member not found'));
  }

  if (seg[0] === 'approvals' || (seg[0] === 'admin' && seg[1] === 'approvals')) {
    const handled = await approvals.handle({
      method, seg, q, me, err, fail,
      contentType: req.headers['content-type'] || '',
      body: () => body(req),
      send: (status, b) => send(res, status, b),
      raw: (status, buf, headers) => { res.writeHead(status, headers); res.end(buf); },
      isAdmin: meOut(s).permissions.includes('approvals.manage'),
    });
    if (handled !== false) return;
    return err(fail(404, 'not_found', '接口不存在', 'Not found'));
  }
  if (seg[0] === 'chat' || (seg[0] === 'admin' && seg[1] === 'chat')) {
    if (seg[0] === 'admin' && !meOut(s).permissions.includes('security.manage')) return err(fail(403, 'forbidden', '没有权限', 'Forbidden'));
    const handled = await chat.handle({
      method, seg, q, lang, me, res, err, fail,
      contentType: req.headers['content-type'] || '',
      body: () => body(req),
      send: (status, b) => send(res, status, b),
    });
    if (handled !== false) return;
    return err(fail(404, 'not_found', '接口不存在', 'Not found'));
  }
  if (seg[0] !== 'admin') return err(fail(404, 'not_found', '接口不存在', 'Not found'));
  // departments
  if (path === '/admin/departments' && method === 'POST') {
    const b = await body(req);
    if (!b.name) return err(fail(422, 'validation', '请填写部门名称', 'Name required', { name: 'required' }));
    const d = { id: nextDept++, parent_id: b.parent_id, name: b.name, order: b.order ?? 100, leader_userids: [] };
    departments.push(d); log(me.userid, 'department.create', d.name, null, d);
    return send(res, 201, { department: deptOut(d) });
  }
  if (seg[1] === 'departments' && seg[2]) {
    const d = departments.find((x) => x.id === Number(seg[2]));
    if (!d) return err(fail(404, 'department_not_found', '部门不存在', 'Department not found'));
    if (method === 'DELETE') {
      if (departments.some((x) => x.parent_id === d.id) || members.some((m) => m.departments.some((x) => x.id === d.id))) return err(fail(409, 'department_not_empty', '部门下还有成员或子部门，无法删除', 'The department still has members or sub-departments'));
      departments = departments.filter((x) => x !== d); return send(res, 204);
    }
    const b = await body(req);
    if (b.parent_id != null && subtree(d.id).includes(b.parent_id)) return err(fail(409, 'department_move_cycle', '不能把部门移动到它自己或它的下级部门下', 'A department cannot move under itself or its own sub-department'));
    const before = { ...d }; Object.assign(d, b); log(me.userid, 'department.update', d.name, before, { ...d });
    return send(res, 200, { department: deptOut(d) });
  }
  // members
  if (path === '/admin/members/export') {
    const rows = [['姓名', '帐号', '工号', '手机', '邮箱'], ...members.map((m) => [m.name, m.userid, m.employee_no, m.mobile, m.email])];
    res.writeHead(200, { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': 'attachment; filename="members.csv"' });
    return res.end('\uFEFF' + rows.map((r) => r.join(',')).join('\r\n'));
  }
  if (path === '/admin/members/import') {
    const raw = (await body(req)).toString('utf8');
    const dry = /name="dry_run"\r\n\r\ntrue/.test(raw);
    const lines = raw.split(/\r?\n/).filter((l) => l.includes(',') && !l.startsWith('Content-'));
    const data = lines.slice(1);
    const errors = [];
    data.forEach((l, i) => { const c = l.split(','); if (!c[1]) errors.push({ row: i + 2, field: 'userid', reason: 'required' }); else if (c[3] && !/^1\d{10}$/.test(c[3])) errors.push({ row: i + 2, field: 'mobile', reason: 'format' }); });
    const invalid = new Set(errors.map((e) => e.row)).size;
    return send(res, 200, { total: data.length, valid: data.length - invalid, invalid, applied: dry ? 0 : data.length - invalid, created: dry ? 0 : data.length - invalid, updated: 0, errors });
  }
  if (path === '/admin/members' && method === 'POST') {
    const b = await body(req);
    const fields = {};
    if (!b.name) fields.name = 'required';
    if (!b.userid) fields.userid = 'required';
    if (members.some((m) => m.userid === b.userid)) fields.userid = 'taken';
    if (b.mobile && !/^1\d{10}$/.test(b.mobile)) fields.mobile = 'format';
    if (Object.keys(fields).length) return err(fail(422, 'validation', '请检查标红的字段', 'Check the highlighted fields', fields));
    const m = { userid: b.userid, name: b.name, alias: null, employee_no: b.employee_no, mobile: b.mobile, email: b.email, position: b.position, gender: b.gender, status: 'not_activated', departments: b.department_ids.map((id) => ({ id, is_main: id === (b.main_department ?? b.department_ids[0]), order: 0 })), main_department: b.main_department, leader_userid: b.leader_userid || null, tag_ids: b.tag_ids || [], created_at: now() };
    members.push(m); const pw = b.initial_password || `Qx${token(4)}`; passwords.set(m.userid, pw); log(me.userid, 'member.create', m.userid, null, { name: m.name });
    return send(res, 201, { member: memberOut(m), ...(b.initial_password ? {} : { initial_password: pw }) });
  }
  if (seg[1] === 'members' && seg[2]) {
    const m = members.find((x) => x.userid === decodeURIComponent(seg[2]));
    if (!m) return err(fail(404, 'member_not_found', '成员不存在', 'Member not found'));
    const act = seg[3];
    if (method === 'DELETE') { members = members.filter((x) => x !== m); return send(res, 204); }
    if (method === 'PATCH') {
      const b = await body(req); const before = memberOut(m);
      Object.assign(m, { ...b, departments: b.department_ids ? b.department_ids.map((id) => ({ id, is_main: id === (b.main_department ?? b.department_ids[0]), order: 0 })) : m.departments, tag_ids: b.tag_ids ?? m.tag_ids });
      log(me.userid, 'member.update', m.userid, { position: before.position, mobile: before.mobile }, { position: m.position, mobile: m.mobile });
      return send(res, 200, { member: memberOut(m) });
    }
    if (act === 'freeze') m.status = 'frozen';
    if (act === 'unfreeze') m.status = 'active';
    if (act === 'signout-all') sessions = sessions.filter((x) => x.userid !== m.userid);
    if (act === 'reset-password') { const b = await body(req); const pw = b.password || `Qx${token(4)}`; passwords.set(m.userid, pw); return send(res, 200, b.password ? {} : { initial_password: pw }); }
    if (act === 'offboard') { m.status = 'departed'; return send(res, 200, { member: memberOut(m), handovers: [{ module: 'customers', count: 12 }, { module: 'groups', count: 3 }, { module: 'documents', count: 27 }, { module: 'approvals', count: 1 }] }); }
    log(me.userid, `member.${act}`, m.userid, null, { status: m.status });
    return send(res, 200, { member: memberOut(m) });
  }
  // tags
  const tagOut = (t) => ({ ...t, member_count: members.filter((m) => m.tag_ids.includes(t.id)).length });
  if (path === '/admin/tags') {
    if (method === 'GET') return send(res, 200, { items: tags.map(tagOut) });
    const b = await body(req); if (tags.some((t) => t.name === b.name)) return err(fail(422, 'validation', '标签名称已存在', 'Tag exists', { name: 'taken' }));
    const t = { id: nextTag++, name: b.name }; tags.push(t); return send(res, 201, { tag: tagOut(t) });
  }
  if (seg[1] === 'tags' && seg[2]) {
    const t = tags.find((x) => x.id === Number(seg[2]));
    if (!t) return err(fail(404, 'tag_not_found', '标签不存在', 'Tag not found'));
    if (seg[3] === 'members') {
      if (method === 'GET') return send(res, 200, { items: members.filter((m) => m.tag_ids.includes(t.id)).map(memberOut) });
      const b = await body(req);
      members.filter((m) => b.userids.includes(m.userid)).forEach((m) => { m.tag_ids = method === 'POST' ? [...new Set([...m.tag_ids, t.id])] : m.tag_ids.filter((x) => x !== t.id); });
      return send(res, 200, { tag: tagOut(t) });
    }
    if (method === 'DELETE') { tags = tags.filter((x) => x !== t); return send(res, 204); }
    t.name = (await body(req)).name; return send(res, 200, { tag: tagOut(t) });
  }
  // admins
  if (path === '/admin/admins') return send(res, 200, { items: admins.map(adminOut), permissions_catalogue: PERMS });
  if (seg[1] === 'admins' && seg[2]) {
    const id = decodeURIComponent(seg[2]);
    if (method === 'DELETE') {
      if (admins.filter((a) => a.is_super).length === 1 && admins.find((a) => a.userid === id)?.is_super) return err(fail(409, 'last_super_admin', '企业至少需要保留一名超级管理员', 'The enterprise needs at least one super administrator'));
      admins = admins.filter((a) => a.userid !== id); return send(res, 204);
    }
    const b = await body(req); const a = { userid: id, is_super: !!b.is_super, permissions: b.permissions, scope: b.scope };
    admins = [...admins.filter((x) => x.userid !== id), a]; log(me.userid, 'admin.grant', id, null, a);
    return send(res, 200, { admin: adminOut(a) });
  }
  // apps
  if (path === '/admin/apps') {
    if (method === 'GET') return send(res, 200, { items: apps, contacts_sync: contactsSync });
    const b = await body(req); const a = { agentid: nextAgent++, logo: null, visible_department_ids: [], visible_userids: [], scopes: [], ...b, created_at: now(), secret_rotated_at: now() };
    apps.push(a); return send(res, 201, { app: a, secret: token(20) });
  }
  if (path === '/admin/contacts-sync/rotate-secret') { contactsSync = { configured: true, rotated_at: now() }; return send(res, 200, { secret: token(20) }); }
  if (seg[1] === 'apps' && seg[2]) {
    const a = apps.find((x) => x.agentid === Number(seg[2]));
    if (!a) return err(fail(404, 'app_not_found', '应用不存在', 'App not found'));
    if (seg[3] === 'rotate-secret') { a.secret_rotated_at = now(); return send(res, 200, { secret: token(20) }); }
    if (method === 'DELETE') { apps = apps.filter((x) => x !== a); return send(res, 204); }
    Object.assign(a, await body(req)); return send(res, 200, { app: a });
  }
  // audit, settings
  if (path === '/admin/audit') {
    let list = audit;
    if (q.get('actor')) list = list.filter((e) => e.actor === q.get('actor'));
    if (q.get('target')) list = list.filter((e) => (e.target || '').includes(q.get('target')));
    if (q.get('kind')) list = list.filter((e) => e.kind.includes(q.get('kind')));
    if (q.get('from')) list = list.filter((e) => e.at >= Number(q.get('from')));
    if (q.get('to')) list = list.filter((e) => e.at <= Number(q.get('to')));
    const offset = Number(q.get('offset') || 0); const limit = Number(q.get('limit') || 20);
    return send(res, 200, { items: list.slice(offset, offset + limit), total: list.length });
  }
  if (path === '/admin/audit/export') { res.writeHead(200, { 'content-type': 'text/csv; charset=utf-8' }); return res.end(audit.map((e) => [e.id, e.at, e.actor, e.kind, e.target].join(',')).join('\r\n')); }
  if (path === '/admin/settings/security') {
    if (method === 'PUT') { const b = await body(req); if (b.password_min_length < 8) return err(fail(422, 'validation', '密码最小长度不能小于 8', 'Minimum is 8', { password_min_length: 'out_of_range' })); security = b; }
    return send(res, 200, security);
  }
  if (path === '/admin/corp') { if (method === 'PATCH') Object.assign(corp, await body(req)); return send(res, 200, corp); }
  return err(fail(404, 'not_found', '接口不存在', 'Not found'));
}

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.png': 'image/png', '.webmanifest': 'application/manifest+json', '.json': 'application/json' };

async function serveStatic(res, pathname) {
  const safe = normalize(pathname).replace(/^(\.\.[/\\])+/, '');
  let file = join(DIST, safe);
  try {
    if (!(await stat(file)).isFile()) throw new Error('dir');
  } catch {
    file = join(DIST, 'index.html');
  }
  const content = await readFile(file);
  res.writeHead(200, { 'content-type': TYPES[extname(file)] || 'application/octet-stream' });
  res.end(content);
}

const server = createServer(async (req, res) => {
  const url = new URL(req.url, 'http://localhost');
  try {
    if (url.pathname.startsWith('/api/v1/')) await api(req, res, url);
    else await serveStatic(res, url.pathname);
  } catch (e) {
    console.error(e);
    if (res.headersSent) res.end();
    else send(res, 500, { error: { code: 'internal', message: '服务器内部错误' } });
  }
});
server.on('upgrade', (req, socket) => chat.upgrade(req, socket));
server.listen(PORT, '127.0.0.1', () => console.log(`mock API and web client on http://127.0.0.1:${PORT}${FRESH ? ' (fresh: set-up wizard)' : ' (signed-in account: admin / qixie2024)'}`));
