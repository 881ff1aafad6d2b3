// In-memory stand-in for the approvals contract (docs/api/approvals.md), used by mock-api.mjs; files
// are chat media (mock-chat.mjs), read back through `/approvals/{sp_no}/files/{file_id}`. Development and screenshots only; the Rust server is the truth:
// routes resolve leaders, named members and money branches, and everything else simply.
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export function createApprovals({ members, departments, person, notify, media, seed: withSeed = true }) {
  const now = () => Date.now();
  let nextSp = 202612070001;
  let nextTpl = 1;
  const templates = [];
  const instances = [];
  const versions = new Map(); // template_id → [Template]

  const member = (userid) => members().find((m) => m.userid === userid);
  const p = (userid) => ({ ...person(userid), avatar: '' });

  // ---------- templates ----------
  const field = (id, kind, title, extra = {}) => ({ id, kind, title, ...extra });
  function addTemplate(t, by = 'admin') {
    const x = { template_id: t.template_id ?? `tpl-${nextTpl++}`, builtin: null, icon: 'general', description: '', enabled: true, submitters: { department_ids: [], userids: [], tag_ids: [] }, ...t, version: 1, updated_at: now() - 20 * DAY, updated_by: person(by).name };
    templates.push(x);
    versions.set(x.template_id, [{ ...structuredClone(x), note: '' }]);
    return x;
  }
  const leaderNode = { type: 'approver', id: 'leader', name: '直属上级', approvers: [{ kind: 'leader', level: 1 }], mode: 'any', when_empty: 'skip' };
  const rules = { applicant_is_approver: 'skip', consecutive_approver: 'approve_once' };
  function seedTemplates() {
    addTemplate({ template_id: 'leave', builtin: 'leave', icon: 'leave', name: '请假', group: '人事', description: '年假、事假、病假等',
      fields: [field('type', 'single_choice', '请假类型', { required: true, options: [{ key: 'annual', text: '年假' }, { key: 'personal', text: '事假' }, { key: 'sick', text: '病假' }, { key: 'other', text: '其他' }] }),
        field('period', 'date_range', '请假时间', { required: true, unit: 'half_day' }), field('reason', 'textarea', '请假事由', { required: true, placeholder: '请输入请假事由' }), field('photos', 'image', '图片', { hint: '病假请上传病历或假条' })],
      flow: { nodes: [leaderNode, { type: 'cc', id: 'hr', name: '抄送人事', recipients: [{ kind: 'members', userids: ['hemei'] }] }], rules } });
    addTemplate({ template_id: 'reimbursement', builtin: 'reimbursement', icon: 'reimbursement', name: '报销', group: '财务', description: '差旅、招待、办公等费用报销',
      fields: [field('kind', 'single_choice', '报销类型', { required: true, options: [{ key: 'travel', text: '差旅费' }, { key: 'meal', text: '招待费' }, { key: 'office', text: '办公费' }] }),
        field('items', 'table', '费用明细', { required: true, columns: [field('what', 'text', '费用说明', { required: true }), field('date', 'date', '发生日期'), field('amount', 'money', '金额', { required: true, currency: 'CNY' })] }),
        field('total', 'money', '报销总额', { required: true, currency: 'CNY' }), field('invoices', 'attachment', '发票'), field('note', 'description', '说明', { text: '单张发票超过 1,000 元需附行程单；报销总额超过 10,000 元由总经理审批。' }), field('related', 'related_approval', '关联出差申请', { template_ids: ['business_trip'] })],
      flow: { nodes: [leaderNode, { type: 'branch', id: 'amount', branches: [
        { name: '大额报销', conditions: [{ kind: 'range', field: 'total', min: 10000, min_exclusive: true }], nodes: [{ type: 'approver', id: 'gm', name: '总经理审批', approvers: [{ kind: 'members', userids: ['admin'] }], mode: 'any', when_empty: 'admins', time_limit: { hours: 24, remind_at: [50, 100], action: 'none' } }] },
        { name: '其他情况', conditions: [], nodes: [] }] }, { type: 'approver', id: 'finance', name: '财务审核', approvers: [{ kind: 'members', userids: ['hemei', 'guoqiang'] }], mode: 'any', when_empty: 'skip' }, { type: 'cc', id: 'cashier', name: '抄送出纳', recipients: [{ kind: 'chosen', multiple: false }] }], rules } });
    addTemplate({ template_id: 'business_trip', builtin: 'business_trip', icon: 'business_trip', name: '出差', group: '行政', fields: [field('city', 'text', '出差城市', { required: true }), field('period', 'date_range', '出差时间', { required: true, unit: 'day' }), field('with', 'member', '同行人', { multiple: true }), field('reason', 'textarea', '出差事由', { required: true })], flow: { nodes: [leaderNode], rules } });
    addTemplate({ template_id: 'purchase', builtin: 'purchase', icon: 'purchase', name: '采购', group: '行政', fields: [field('items', 'table', '采购明细', { columns: [field('name', 'text', '物品'), field('qty', 'number', '数量'), field('price', 'money', '单价')] }), field('dept', 'department', '使用部门')], flow: { nodes: [leaderNode], rules } });
    addTemplate({ template_id: 'supplies', builtin: 'supplies', icon: 'supplies', name: '物品领用', group: '行政', fields: [field('what', 'text', '物品名称', { required: true }), field('qty', 'number', '数量', { min: 1 })], flow: { nodes: [leaderNode], rules } });
    addTemplate({ template_id: 'overtime', builtin: 'overtime', icon: 'overtime', name: '加班', group: '人事', fields: [field('period', 'date_range', '加班时间', { required: true, unit: 'hour' }), field('reason', 'textarea', '加班原因')], flow: { nodes: [leaderNode], rules } });
    addTemplate({ template_id: 'punch_correction', builtin: 'punch_correction', icon: 'punch_correction', name: '补卡', group: '人事', fields: [field('at', 'date_time', '补卡时间', { required: true }), field('reason', 'text', '补卡原因')], flow: { nodes: [leaderNode], rules } });
    addTemplate({ icon: 'seal', name: '用印申请', group: '法务', fields: [field('doc', 'text', '文件名称', { required: true }), field('count', 'number', '用印次数'), field('files', 'attachment', '文件')], flow: { nodes: [leaderNode, { type: 'approver', id: 'legal', name: '法务审核', approvers: [{ kind: 'tag', tag_id: 1 }], mode: 'all' }], rules } });
  }

  // ---------- routes ----------
  function leaderOf(userid, level = 1) {
    let cur = member(userid);
    for (let i = 0; i < level && cur; i++) cur = member(cur.leader_userid);
    return cur && cur.userid !== userid ? [cur.userid] : [];
  }
  function resolveSources(sources, applicant, chosen, nodeId) {
    const out = [];
    for (const s of sources) {
      if (s.kind === 'members') out.push(...s.userids);
      else if (s.kind === 'leader') out.push(...leaderOf(applicant, s.level ?? 1));
      else if (s.kind === 'department_head') {
        const d = departments().find((x) => x.id === (s.department_id ?? member(applicant)?.main_department));
        out.push(...(d?.leader_userids ?? []));
      } else if (s.kind === 'tag') out.push(...members().filter((m) => m.tag_ids?.includes(s.tag_id)).map((m) => m.userid));
      else if (s.kind === 'admins') out.push('admin');
      else if (s.kind === 'chosen') out.push(...(chosen?.[nodeId] ?? []));
      else if (s.kind === 'applicant') out.push(applicant);
    }
    return [...new Set(out)];
  }
  const num = (v) => (v == null || v === '' ? null : Number(v));
  function holds(c, values) {
    if (c.kind === 'range') {
      const v = num(values[c.field]);
      if (v == null) return false;
      if (c.min != null && (c.min_exclusive ? v <= c.min : v < c.min)) return false;
      if (c.max != null && (c.max_exclusive ? v >= c.max : v > c.max)) return false;
      return true;
    }
    if (c.kind === 'choice') return [].concat(values[c.field] ?? []).some((k) => c.keys.includes(k));
    if (c.kind === 'member') return [].concat(values[c.field] ?? []).some((k) => c.userids.includes(k));
    if (c.kind === 'applicant') return false;
    return false;
  }
  function route(flow, applicant, values, chosen) {
    const steps = [];
    const branches = [];
    const walk = (nodes) => {
      for (const n of nodes) {
        if (n.type === 'branch') {
          const b = n.branches.find((x) => x.conditions.every((c) => holds(c, values))) ?? n.branches[n.branches.length - 1];
          if (b) {
            branches.push({ node_id: n.id, branch: b.name });
            walk(b.nodes);
          }
          continue;
        }
        let people = resolveSources(n.type === 'approver' ? n.approvers : n.recipients, applicant, chosen, n.id);
        let passes = null;
        if (n.type === 'approver' && flow.rules?.applicant_is_approver !== 'approve' && people.includes(applicant)) {
          people = people.filter((u) => u !== applicant);
          if (!people.length) passes = 'applicant';
        }
        if (!people.length && !passes && n.type === 'approver') passes = (n.when_empty ?? 'skip') === 'skip' ? 'empty' : null;
        steps.push({ node_id: n.id, name: n.name, kind: n.type === 'cc' ? 'cc' : 'approve', mode: n.mode ?? 'any', people: people.map(p), passes, time_limit: n.time_limit ?? null });
      }
    };
    walk(flow.nodes);
    return { steps, branches };
  }
  function choose(flow) {
    const out = [];
    const walk = (nodes) => nodes.forEach((n) => {
      if (n.type === 'branch') n.branches.forEach((b) => walk(b.nodes));
      else for (const s of n.type === 'approver' ? n.approvers : n.recipients) if (s.kind === 'chosen') out.push({ node_id: n.id, name: n.name, multiple: !!s.multiple });
    });
    walk(flow.nodes);
    return out;
  }
  function check(fields, flow) {
    const problems = [];
    const ids = new Set();
    const walk = (nodes) => nodes.forEach((n) => {
      if (ids.has(n.id)) problems.push({ severity: 'error', code: 'duplicate_node_id', node_id: n.id, message: `节点 ID “${n.id}” 重复` });
      ids.add(n.id);
      if (n.type === 'branch') {
        if (!n.branches.some((b) => !b.conditions.length)) problems.push({ severity: 'error', code: 'no_default_branch', node_id: n.id, message: '条件分支缺少“其他情况”分支' });
        n.branches.forEach((b, i) => {
          for (const c of b.conditions) if (c.field && !fields.some((f) => f.id === c.field)) problems.push({ severity: 'error', code: 'unknown_field', node_id: n.id, branch: i, field: c.field, message: `“${b.name}”的条件引用了不存在的字段` });
          if (i < n.branches.length - 1 && !b.conditions.length) problems.push({ severity: 'warning', code: 'overlapping_branches', node_id: n.id, branch: i, message: `“${b.name}”没有条件，其后的分支不会被走到` });
          walk(b.nodes);
        });
      } else if (n.type === 'approver' && !n.approvers.length) problems.push({ severity: 'error', code: 'no_approvers', node_id: n.id, message: `“${n.name}”没有设置审批人` });
      else if (n.type === 'approver' && n.approvers.some((s) => s.kind === 'members' && !s.userids.length)) problems.push({ severity: 'error', code: 'no_approvers', node_id: n.id, message: `“${n.name}”的指定成员为空` });
    });
    walk(flow.nodes);
    return problems;
  }

  // ---------- instances ----------
  function summaryOf(tpl, values) {
    const out = [];
    for (const f of tpl.fields) {
      const v = values[f.id];
      if (v == null || f.kind === 'table' || f.kind === 'attachment' || f.kind === 'image' || f.kind === 'description') continue;
      let text = v;
      if (f.kind === 'single_choice') text = f.options.find((o) => o.key === v)?.text ?? v;
      if (f.kind === 'money') text = `¥${Number(v).toLocaleString('en-US', { minimumFractionDigits: 2 })}`;
      if (f.kind === 'date_range') text = `${v.start} ~ ${v.end}`;
      if (f.kind === 'member') text = v.map((u) => person(u).name).join('、');
      out.push(`${f.title}：${text}`);
      if (out.length === 3) break;
    }
    return out;
  }
  function create(applicant, tpl, values, chosen, at = now()) {
    const r = route(tpl.flow, applicant, values, chosen);
    const x = {
      sp_no: String(nextSp++), template_id: tpl.template_id, template_name: tpl.name, version: tpl.version, fields: structuredClone(tpl.fields), values,
      applicant, department: member(applicant)?.main_department ?? 1, submitted_at: at, finished_at: null, status: 'pending',
      steps: r.steps.map((s, i) => ({ ...s, status: i === 0 ? 'pending' : 'waiting', people: (s.people ?? []).map((pp) => ({ ...pp, state: 'waiting', acted_at: null, comment: null })) })),
      timeline: [{ at, actor: p(applicant), action: 'submit', comment: null, to: [], files: [] }], summary: summaryOf(tpl, values), cc_read: new Set(),
    };
    instances.unshift(x);
    advance(x, at);
    return x;
  }
  function current(x) {
    return x.steps.find((s) => s.status === 'pending') ?? null;
  }
  function advance(x, at = now()) {
    for (;;) {
      const s = current(x);
      if (!s) {
        const next = x.steps.find((st) => st.status === 'waiting');
        if (!next) {
          if (x.status === 'pending') { x.status = 'approved'; x.finished_at = at; notifyApplicant(x); }
          return;
        }
        next.status = 'pending';
        continue;
      }
      if (s.kind === 'cc') {
        s.status = 'approved';
        s.people.forEach((pp) => { pp.state = 'cc'; pp.acted_at = at; });
        if (s.people.length) x.timeline.push({ at, actor: null, action: 'cc', comment: null, to: s.people.map((pp) => p(pp.userid)), files: [] });
        continue;
      }
      if (!s.people.length) {
        s.status = 'passed';
        x.timeline.push({ at, actor: null, action: 'pass', comment: null, to: [], files: [] });
        continue;
      }
      const waiting = s.mode === 'sequential' ? s.people.filter((pp) => pp.state !== 'approved').slice(0, 1) : s.people.filter((pp) => pp.state === 'waiting');
      waiting.forEach((pp) => { if (pp.state === 'waiting') { pp.state = 'pending'; notifyApprover(x, pp.userid); } });
      return;
    }
  }
  function card(x, forUserid, withButtons) {
    const app = person(x.applicant);
    return {
      card_type: 'button_interaction',
      main_title: { title: `${app.name}的${x.template_name}`, desc: new Date(x.submitted_at).toLocaleString('zh-CN', { hour12: false }) },
      horizontal_content_list: x.summary.map((l) => ({ keyname: l.split('：')[0], value: l.split('：').slice(1).join('：') })),
      button_list: withButtons ? [{ text: '驳回', style: 2, key: 'reject' }, { text: '同意', style: 1, key: 'approve' }] : [],
      approval: { sp_no: x.sp_no, status: x.status },
    };
  }
  function notifyApprover(x, userid) { notify?.(userid, card(x, userid, true)); }
  function notifyApplicant(x) { notify?.(x.applicant, card(x, x.applicant, false)); }

  function detail(x, me) {
    const s = current(x);
    const mine = s?.people.find((pp) => pp.userid === me && pp.state === 'pending');
    const actions = [];
    if (x.status === 'pending' && mine) actions.push('approve', 'reject', 'transfer', 'add_approver');
    if (x.status === 'pending' && x.applicant === me) actions.push('withdraw', 'urge');
    if (x.status === 'returned' && x.applicant === me) actions.push('resubmit');
    actions.push('comment');
    const d = departments().find((dd) => dd.id === x.department);
    return {
      sp_no: x.sp_no, template_id: x.template_id, template_name: x.template_name, version: x.version, status: x.status, applicant: p(x.applicant),
      department: d ? { id: d.id, name: d.name } : null, submitted_at: x.submitted_at, finished_at: x.finished_at, summary: x.summary, fields: x.fields, values: x.values,
      steps: x.steps.map(({ node_id, name, kind, mode, status, passes, people }) => ({ node_id, name, kind, mode, status, passes, people: people.map((pp) => ({ ...pp, comment: pp.comment ?? '', auto: false })) })), timeline: x.timeline.map((e) => ({ ...e, comment: e.comment ?? '' })), actions,
    };
  }
  function summary(x) {
    const s = current(x);
    return { sp_no: x.sp_no, template_id: x.template_id, template_name: x.template_name, status: x.status, applicant: p(x.applicant), summary: x.summary, submitted_at: x.submitted_at, finished_at: x.finished_at, current_step: s?.name ?? null, waiting_since: s ? x.timeline[x.timeline.length - 1].at : null };
  }
  const inBox = (x, me, box) => {
    if (box === 'mine') return x.applicant === me;
    if (box === 'todo') return x.status === 'pending' && !!current(x)?.people.some((pp) => pp.userid === me && pp.state === 'pending');
    if (box === 'done') return x.timeline.some((e) => e.actor?.userid === me && ['approve', 'reject', 'return', 'transfer'].includes(e.action));
    if (box === 'cc') return x.steps.some((s) => s.kind === 'cc' && s.people.some((pp) => pp.userid === me) && s.status !== 'waiting');
    return true;
  };
  function page(list, q) {
    let out = list;
    if (q.get('template_id')) out = out.filter((x) => x.template_id === q.get('template_id'));
    if (q.get('status')) out = out.filter((x) => x.status === q.get('status'));
    if (q.get('applicant')) out = out.filter((x) => x.applicant === q.get('applicant'));
    if (q.get('from')) out = out.filter((x) => x.submitted_at >= Number(q.get('from')));
    if (q.get('to')) out = out.filter((x) => x.submitted_at <= Number(q.get('to')));
    const term = (q.get('q') || '').trim();
    if (term) out = out.filter((x) => x.sp_no.includes(term) || person(x.applicant).name.includes(term) || x.summary.some((l) => l.includes(term)));
    const offset = Number(q.get('cursor') || 0);
    const limit = Math.min(100, Number(q.get('limit') || 20));
    const slice = out.slice(offset, offset + limit);
    return { items: slice.map(summary), total: out.length, next_cursor: offset + limit < out.length ? String(offset + limit) : null };
  }

  function act(x, me, action, b, at = now()) {
    const s = current(x);
    const mine = s?.people.find((pp) => pp.userid === me && pp.state === 'pending');
    if (x.status !== 'pending' || !mine) return [409, 'approval_already_decided', '这条审批已经有人处理过了', 'Someone has already decided this approval'];
    const files = (b.file_ids ?? []).map(fileRef);
    if (action === 'approve') {
      mine.state = 'approved'; mine.acted_at = at; mine.comment = b.comment ?? null;
      x.timeline.push({ at, actor: p(me), action: 'approve', comment: b.comment ?? null, to: [], files });
      const done = s.mode === 'all' || s.mode === 'sequential' ? s.people.every((pp) => pp.state === 'approved') : true;
      if (done) { s.status = 'approved'; s.people.filter((pp) => pp.state === 'pending').forEach((pp) => { pp.state = 'passed'; }); }
      advance(x, at);
    } else if (action === 'reject') {
      mine.state = 'rejected'; mine.acted_at = at; mine.comment = b.comment ?? null;
      if (b.to === 'applicant') { x.status = 'returned'; s.status = 'rejected'; x.timeline.push({ at, actor: p(me), action: 'return', comment: b.comment ?? null, to: [p(x.applicant)], files }); }
      else if (b.to) {
        const i = x.steps.findIndex((st) => st.node_id === b.to);
        x.timeline.push({ at, actor: p(me), action: 'return', comment: b.comment ?? null, to: [], files });
        x.steps.slice(i).forEach((st) => { st.status = 'waiting'; st.people.forEach((pp) => { pp.state = 'waiting'; pp.acted_at = null; pp.comment = null; }); });
        advance(x, at);
      } else { s.status = 'rejected'; x.status = 'rejected'; x.finished_at = at; x.timeline.push({ at, actor: p(me), action: 'reject', comment: b.comment ?? null, to: [], files }); notifyApplicant(x); }
    } else if (action === 'transfer') {
      mine.state = 'transferred'; mine.acted_at = at;
      s.people.push({ ...p(b.userid), state: 'pending', acted_at: null, comment: null });
      x.timeline.push({ at, actor: p(me), action: 'transfer', comment: b.comment ?? null, to: [p(b.userid)], files: [] });
      notifyApprover(x, b.userid);
    } else if (action === 'add_approver') {
      const added = b.userids.map((u) => ({ ...p(u), state: b.position === 'before' ? 'pending' : 'waiting', acted_at: null, comment: null }));
      if (b.position === 'before') { mine.state = 'waiting'; s.people.splice(s.people.indexOf(mine), 0, ...added); s.mode = 'sequential'; }
      else { s.people.push(...added); s.mode = 'sequential'; }
      x.timeline.push({ at, actor: p(me), action: 'add_approver', comment: b.comment ?? null, to: b.userids.map(p), files: [] });
    }
    return null;
  }
  const fileRef = (id) => { const m = media?.(id); return { file_id: id, name: m?.name ?? id, size: m?.size ?? 0, image: m?.kind === 'image' }; };

  function seedInstances() {
    const reimb = templates.find((t) => t.template_id === 'reimbursement');
    const leave = templates.find((t) => t.template_id === 'leave');
    const trip = templates.find((t) => t.template_id === 'business_trip');
    const t0 = now();
    const a = create('zhangsan', reimb, { kind: 'travel', items: [{ what: '上海往返机票', date: '2026-12-01', amount: '3860.00' }, { what: '酒店三晚', date: '2026-12-03', amount: '2100.00' }, { what: '客户招待', amount: '6800.00' }], total: '12760.00' }, { cashier: ['guoqiang'] }, t0 - 3 * HOUR);
    act(a, 'gaoyuan', 'approve', { comment: '同意，票据齐全' }, t0 - 2 * HOUR);
    create('lisi', leave, { type: 'annual', period: { start: '2026-12-10 am', end: '2026-12-11 pm', duration: 2 }, reason: '家中有事，年假两天' }, {}, t0 - 5 * HOUR);
    const b = create('wangwu', trip, { city: '深圳', period: { start: '2026-12-14', end: '2026-12-16', duration: 3 }, with: ['liangyu'], reason: '客户现场部署' }, {}, t0 - 30 * HOUR);
    act(b, 'gaoyuan', 'approve', {}, t0 - 26 * HOUR);
    const c = create('admin', reimb, { kind: 'office', items: [{ what: '显示器 2 台', amount: '2598.00' }], total: '2598.00' }, { cashier: ['guoqiang'] }, t0 - 50 * HOUR);
    const d = create('sunqi', leave, { type: 'sick', period: { start: '2026-12-02 pm', end: '2026-12-02 pm', duration: 0.5 }, reason: '发烧就医' }, {}, t0 - 6 * DAY);
    act(d, 'gaoyuan', 'reject', { comment: '请补充病历' }, t0 - 6 * DAY + HOUR);
    for (let i = 0; i < 24; i++) create(['majun', 'liangyu', 'songjia', 'luoxin'][i % 4], leave, { type: 'personal', period: { start: '2026-11-0' + ((i % 9) + 1) + ' am', end: '2026-11-0' + ((i % 9) + 1) + ' pm', duration: 1 }, reason: `事假 ${i + 1}` }, {}, t0 - (8 + i) * DAY);
    void c;
  }

  if (withSeed) {
    seedTemplates();
    seedInstances();
  }

  // ---------- http ----------
  async function handle({ method, seg, q, me, send, err, fail, body, contentType, raw, isAdmin }) {
    const uid = me.userid;
    if (seg[0] === 'approvals') {
      if (seg[1] === 'templates' && !seg[2]) return send(200, { items: templates.filter((t) => t.enabled).map(({ template_id, name, group, icon, description, builtin }) => ({ template_id, name, group, icon, description, builtin })) });
      if (seg[1] === 'templates') {
        const t = templates.find((x) => x.template_id === decodeURIComponent(seg[2]));
        if (!t) return err(fail(404, 'not_found', '模板不存在', 'No such template'));
        return send(200, { template_id: t.template_id, name: t.name, group: t.group, icon: t.icon, description: t.description, builtin: t.builtin, version: t.version, fields: t.fields, choose: choose(t.flow) });
      }
      if (seg[1] === 'preview') {
        const b = await body();
        const t = templates.find((x) => x.template_id === b.template_id);
        return send(200, { steps: route(t.flow, uid, b.values ?? {}, b.chosen).steps, problems: [] });
      }
      if (seg[1] === 'counts') return send(200, { todo: instances.filter((x) => inBox(x, uid, 'todo')).length, cc_unread: instances.filter((x) => inBox(x, uid, 'cc') && !x.cc_read.has(uid)).length });
      if (!seg[1] && method === 'POST') {
        const b = await body();
        const t = templates.find((x) => x.template_id === b.template_id);
        const fields = {};
        for (const f of t.fields) {
          if (f.required && (b.values?.[f.id] == null || b.values[f.id] === '')) fields[`values.${f.id}`] = 'required';
          if (f.kind === 'money' && b.values?.[f.id] != null && !/^\d+(\.\d{1,2})?$/.test(String(b.values[f.id]))) fields[`values.${f.id}`] = 'format';
        }
        if (Object.keys(fields).length) return err(fail(422, 'validation', '请检查填写的内容', 'Please check the values', fields));
        const x = create(uid, t, b.values, b.chosen);
        return send(201, { sp_no: x.sp_no });
      }
      if (!seg[1]) return send(200, page(instances.filter((x) => inBox(x, uid, q.get('box') || 'todo')), q));
      const x = instances.find((i) => i.sp_no === decodeURIComponent(seg[1]));
      if (!x) return err(fail(404, 'not_found', '审批不存在', 'No such approval'));
      if (seg[2] === 'files' && seg[3]) {
        const m = media?.(decodeURIComponent(seg[3]));
        if (!m) return err(fail(404, 'media_not_found', '文件不存在', 'No such file'));
        return raw(200, m.data, { 'content-type': m.mime, 'content-disposition': `inline; filename*=UTF-8''${encodeURIComponent(m.name)}` });
      }
      if (!seg[2]) {
        x.cc_read.add(uid);
        return send(200, detail(x, uid));
      }
      const b = method === 'POST' ? await body() : {};
      const at = now();
      if (seg[2] === 'approve' || seg[2] === 'reject' || seg[2] === 'transfer' || seg[2] === 'add-approver') {
        const e = act(x, uid, seg[2].replace('-', '_'), b, at);
        if (e) return err(fail(e[0], e[1], e[2], e[3]));
        return send(200, detail(x, uid));
      }
      if (seg[2] === 'withdraw') {
        x.status = 'withdrawn'; x.finished_at = at;
        x.timeline.push({ at, actor: p(uid), action: 'withdraw', comment: b.comment ?? null, to: [], files: [] });
        return send(200, detail(x, uid));
      }
      if (seg[2] === 'urge') {
        if (x.timeline.some((e) => e.action === 'urge' && at - e.at < HOUR)) return err(fail(429, 'approval_urged_recently', '一小时内只能催办一次', 'You can remind once an hour'));
        x.timeline.push({ at, actor: p(uid), action: 'urge', comment: null, to: current(x)?.people.filter((pp) => pp.state === 'pending').map((pp) => p(pp.userid)) ?? [], files: [] });
        return send(204);
      }
      if (seg[2] === 'comments') {
        x.timeline.push({ at, actor: p(uid), action: 'comment', comment: b.content, to: [], files: (b.file_ids ?? []).map(fileRef) });
        return send(200, detail(x, uid));
      }
      if (seg[2] === 'resubmit') {
        x.values = b.values; x.status = 'pending'; x.finished_at = null;
        x.steps.forEach((s, i) => { s.status = i === 0 ? 'pending' : 'waiting'; s.people.forEach((pp) => { pp.state = 'waiting'; pp.acted_at = null; pp.comment = null; }); });
        x.timeline.push({ at, actor: p(uid), action: 'resubmit', comment: null, to: [], files: [] });
        advance(x, at);
        return send(200, detail(x, uid));
      }
      return false;
    }
    if (seg[0] === 'admin' && seg[1] === 'approvals') {
      if (!isAdmin) return err(fail(403, 'forbidden', '没有权限', 'Forbidden'));
      if (seg[2] === 'templates' && !seg[3]) {
        if (method === 'POST') {
          const b = await body();
          if (!b.name) return err(fail(422, 'validation', '请检查填写的内容', 'Please check', { name: 'required' }));
          const problems = check(b.fields, b.flow);
          if (problems.some((x) => x.severity === 'error')) return err(fail(422, 'approval_flow_invalid', '流程有错误，不能发布', 'The flow has errors'));
          const t = addTemplate({ ...b, group: b.group || 'other' }, uid);
          t.updated_at = now();
          return send(201, t);
        }
        return send(200, { items: templates.map(({ template_id, name, group, icon, builtin, enabled, version, updated_at }) => ({ template_id, name, group, icon, builtin, enabled, version, updated_at })) });
      }
      if (seg[2] === 'templates') {
        const t = templates.find((x) => x.template_id === decodeURIComponent(seg[3]));
        if (!t) return err(fail(404, 'not_found', '模板不存在', 'No such template'));
        if (seg[4] === 'versions' && seg[5]) return send(200, versions.get(t.template_id).find((v) => v.version === Number(seg[5])));
        if (seg[4] === 'versions') return send(200, { items: versions.get(t.template_id).map((v) => ({ version: v.version, changed_by: v.updated_by, changed_at: v.updated_at, note: v.note })).reverse() });
        if (method === 'DELETE') { templates.splice(templates.indexOf(t), 1); return send(204); }
        if (method === 'PUT') {
          const b = await body();
          const problems = check(b.fields, b.flow);
          if (problems.some((x) => x.severity === 'error')) return err(fail(422, 'approval_flow_invalid', '流程有错误，不能发布', 'The flow has errors'));
          const changed = JSON.stringify([b.fields, b.flow]) !== JSON.stringify([t.fields, t.flow]);
          Object.assign(t, { name: b.name, group: b.group, icon: b.icon, description: b.description ?? '', submitters: b.submitters ?? t.submitters, fields: b.fields, flow: b.flow, enabled: b.enabled ?? t.enabled, updated_at: now(), updated_by: person(uid).name });
          if (changed) { t.version += 1; versions.get(t.template_id).push({ ...structuredClone(t), note: b.note ?? '' }); }
          return send(200, t);
        }
        return send(200, t);
      }
      if (seg[2] === 'check') { const b = await body(); return send(200, { problems: check(b.fields, b.flow) }); }
      if (seg[2] === 'simulate') { const b = await body(); return send(200, { ...route(b.flow, b.applicant, b.values ?? {}, b.chosen), problems: check(b.fields, b.flow) }); }
      if (seg[2] === 'flow-text') {
        const b = await body();
        if (b.flow) return send(200, { text: flowText(b.flow) });
        try { return send(200, { flow: JSON.parse(b.text.split('\n').filter((l) => !l.startsWith('#')).join('\n')) }); }
        catch { return err(fail(422, 'validation', '第 1 行无法识别', 'Line 1 is not understood', { text: 'format' })); }
      }
      if (seg[2] === 'export') return raw(200, Buffer.from('PK'), { 'content-type': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', 'content-disposition': 'attachment; filename="approvals.xlsx"' });
      if (seg[2] === 'stats') return send(200, stats());
      if (!seg[2]) return send(200, page(instances, q));
      return false;
    }
    return false;
  }

  function flowText(flow) {
    return `# 流程的文本形式（此处以 JSON 表示）\n${JSON.stringify(flow, null, 2)}`;
  }

  function stats() {
    const d = (count, avg, med, p90, within) => ({ count, average_ms: avg, median_ms: med, p90_ms: p90, within_limit: within });
    const monday = Date.UTC(2026, 8, 28);
    const weeks = [12, 18, 15, 22, 19, 25, 21, 28, 24, 31].map((n, i) => ({ week: monday + i * 7 * DAY, submitted: n, finished: Math.round(n * 0.9), median_ms: (3 + (i % 4)) * HOUR }));
    return {
      templates: [
        { template_id: 'leave', name: '请假', submitted: 96, approved: 84, rejected: 6, pending: 6, decide: d(90, 5.2 * HOUR, 2.1 * HOUR, 14 * HOUR, 0.92) },
        { template_id: 'reimbursement', name: '报销', submitted: 64, approved: 51, rejected: 5, pending: 8, decide: d(56, 21 * HOUR, 9.5 * HOUR, 2.6 * DAY, 0.78) },
        { template_id: 'business_trip', name: '出差', submitted: 27, approved: 25, rejected: 1, pending: 1, decide: d(26, 3.1 * HOUR, 1.4 * HOUR, 7 * HOUR, null) },
      ],
      nodes: [
        { template_id: 'reimbursement', node_id: 'leader', name: '直属上级', decide: d(64, 6 * HOUR, 3 * HOUR, 16 * HOUR, 0.9) },
        { template_id: 'reimbursement', node_id: 'gm', name: '总经理审批', decide: d(11, 30 * HOUR, 20 * HOUR, 3 * DAY, 0.64) },
        { template_id: 'reimbursement', node_id: 'finance', name: '财务审核', decide: d(60, 12 * HOUR, 6 * HOUR, 30 * HOUR, 0.81) },
        { template_id: 'leave', node_id: 'leader', name: '直属上级', decide: d(96, 5.2 * HOUR, 2.1 * HOUR, 14 * HOUR, 0.92) },
      ],
      weeks,
      slowest: [
        { userid: 'admin', name: '陈静', decisions: 11, median_ms: 20 * HOUR },
        { userid: 'hemei', name: '何美', decisions: 41, median_ms: 6 * HOUR },
        { userid: 'gaoyuan', name: '高远', decisions: 88, median_ms: 2.5 * HOUR },
      ],
    };
  }

  return { handle };
}
