/**
 * Flow logic of the designer with no Vue in it: new nodes and branches, walking the tree, and the
 * one-line texts of approver sources and branch conditions shown on the cards.
 */
import type { ApproverSource, Branch, BranchNode, Condition, Field, Flow, FlowNode, FlowRules } from '@/api/approvals';
import { newId } from './form';

export const DEFAULT_RULES: FlowRules = { applicant_is_approver: 'skip', consecutive_approver: 'approve_once' };

/** Calls `fn` for every node, depth first, in order. */
export function walk(nodes: FlowNode[], fn: (node: FlowNode, list: FlowNode[], index: number) => void): void {
  nodes.forEach((n, i) => {
    fn(n, nodes, i);
    if (n.type === 'branch') n.branches.forEach((b) => walk(b.nodes, fn));
  });
}

export function nodeIds(flow: Flow): string[] {
  const out: string[] = [];
  walk(flow.nodes, (n) => out.push(n.id));
  return out;
}

export function findNode(flow: Flow, id: string): FlowNode | null {
  let found: FlowNode | null = null;
  walk(flow.nodes, (n) => {
    if (!found && n.id === id) found = n;
  });
  return found;
}

export interface NodeNames {
  approver: string;
  cc: string;
  branch: (n: number) => string;
  otherwise: string;
}

/** A new node of a kind: an approver node asks the direct leader, a CC node names nobody yet, a branch node has one condition branch and the default. */
export function makeNode(type: FlowNode['type'], names: NodeNames, taken: Iterable<string>): FlowNode {
  if (type === 'approver') return { type, id: newId('approve', taken), name: names.approver, approvers: [{ kind: 'leader', level: 1 }], mode: 'any', when_empty: 'skip' };
  if (type === 'cc') return { type, id: newId('cc', taken), name: names.cc, recipients: [] };
  return { type, id: newId('branch', taken), branches: [makeBranch(names.branch(1)), { name: names.otherwise, conditions: [], nodes: [] }] };
}

export function makeBranch(name: string): Branch {
  return { name, conditions: [], nodes: [] };
}

/** Adds a condition branch before the default (last, condition-less) one. */
export function addBranch(node: BranchNode, name: string): Branch {
  const b = makeBranch(name);
  const last = node.branches[node.branches.length - 1];
  const at = last && last.conditions.length === 0 ? node.branches.length - 1 : node.branches.length;
  node.branches.splice(at, 0, b);
  return b;
}

/** Moves a branch one place left or right (its priority). */
export function moveBranch(node: BranchNode, index: number, delta: -1 | 1): void {
  const to = index + delta;
  if (to < 0 || to >= node.branches.length) return;
  const [b] = node.branches.splice(index, 1);
  node.branches.splice(to, 0, b);
}

/** The fields a condition can test, with the condition kind each takes. */
export function conditionFields(fields: Field[]): { field: Field; kind: Condition['kind'] }[] {
  const out: { field: Field; kind: Condition['kind'] }[] = [];
  for (const f of fields) {
    if (f.kind === 'number' || f.kind === 'money') out.push({ field: f, kind: 'range' });
    else if (f.kind === 'single_choice' || f.kind === 'multi_choice') out.push({ field: f, kind: 'choice' });
    else if (f.kind === 'member') out.push({ field: f, kind: 'member' });
    else if (f.kind === 'department') out.push({ field: f, kind: 'department' });
  }
  return out;
}

type T = (key: string, named?: Record<string, unknown>) => string;

export interface Lookups {
  member: (userid: string) => string;
  department: (id: number) => string;
  tag: (id: number) => string;
}

function list<V>(values: V[], name: (v: V) => string, t: T, max = 3): string {
  const names = values.slice(0, max).map(name);
  const more = values.length > max ? t('approvals.flow.andMore', { n: values.length }) : '';
  return names.join(t('approvals.listSep')) + more;
}

/** "直属上级", "第2级上级", "指定成员：张三、李四"… */
export function sourceText(s: ApproverSource, t: T, look: Lookups): string {
  switch (s.kind) {
    case 'members':
      return s.userids.length ? list(s.userids, look.member, t) : t('approvals.source.membersNone');
    case 'leader':
      return (s.level ?? 1) <= 1 ? t('approvals.source.leader1') : t('approvals.source.leaderN', { n: s.level });
    case 'department_head':
      return s.department_id ? t('approvals.source.headOf', { dept: look.department(s.department_id) }) : t('approvals.source.headOwn');
    case 'tag':
      return t('approvals.source.tagOf', { tag: look.tag(s.tag_id) });
    case 'admins':
      return t('approvals.source.admins');
    case 'chosen':
      return s.multiple ? t('approvals.source.chosenMany') : t('approvals.source.chosenOne');
    case 'applicant':
      return t('approvals.source.applicant');
  }
}

function num(v: number | null | undefined): string {
  return v == null ? '' : String(v);
}

/** "金额 > 10000", "类型 为 年假、事假", "发起人部门 属于 研发部"… */
export function conditionText(c: Condition, fields: Field[], t: T, look: Lookups): string {
  const title = (id: string) => fields.find((f) => f.id === id)?.title ?? id;
  switch (c.kind) {
    case 'range': {
      const f = title(c.field);
      const lo = c.min != null ? `${num(c.min)} ${c.min_exclusive ? '<' : '≤'} ` : '';
      const hi = c.max != null ? ` ${c.max_exclusive ? '<' : '≤'} ${num(c.max)}` : '';
      if (c.min != null && c.max == null) return `${f} ${c.min_exclusive ? '>' : '≥'} ${num(c.min)}`;
      if (c.min == null && c.max != null) return `${f}${hi}`;
      if (c.min == null && c.max == null) return t('approvals.cond.anyValue', { field: f });
      return `${lo}${f}${hi}`;
    }
    case 'choice': {
      const field = fields.find((f) => f.id === c.field);
      const text = (k: string) => field?.options?.find((o) => o.key === k)?.text ?? k;
      return t('approvals.cond.is', { field: title(c.field), values: list(c.keys, text, t) });
    }
    case 'member':
      return t('approvals.cond.is', { field: title(c.field), values: list(c.userids, look.member, t) });
    case 'department':
      return t('approvals.cond.under', { field: title(c.field), values: list(c.department_ids, look.department, t) });
    case 'applicant_department':
      return t('approvals.cond.under', { field: t('approvals.cond.applicantDept'), values: list(c.department_ids, look.department, t) });
    case 'applicant_tag':
      return t('approvals.cond.is', { field: t('approvals.cond.applicantTag'), values: list(c.tag_ids, look.tag, t) });
    case 'applicant':
      return t('approvals.cond.is', { field: t('approvals.cond.applicant'), values: list(c.userids, look.member, t) });
  }
}

/** A new condition of a kind, on the first field that fits. */
export function makeCondition(kind: Condition['kind'], fields: Field[]): Condition {
  const first = (k: Condition['kind']) => conditionFields(fields).find((x) => x.kind === k)?.field.id ?? '';
  switch (kind) {
    case 'range':
      return { kind, field: first('range'), min: null, max: null };
    case 'choice':
      return { kind, field: first('choice'), keys: [] };
    case 'member':
      return { kind, field: first('member'), userids: [] };
    case 'department':
      return { kind, field: first('department'), department_ids: [] };
    case 'applicant_department':
      return { kind, department_ids: [] };
    case 'applicant_tag':
      return { kind, tag_ids: [] };
    case 'applicant':
      return { kind, userids: [] };
  }
}

/** A flow with its rules filled in, as the designer edits it. */
export function normalizeFlow(flow: Flow | null | undefined): Flow & { rules: FlowRules } {
  return { nodes: flow?.nodes ?? [], rules: { ...DEFAULT_RULES, ...(flow?.rules ?? {}) } };
}

/** A new template's flow: one approver node where the direct leader approves, named `name`. */
export function starterFlow(names: NodeNames, name: string = names.approver): Flow & { rules: FlowRules } {
  const node = makeNode('approver', names, []);
  if (node.type === 'approver') node.name = name;
  return { nodes: [node], rules: { ...DEFAULT_RULES } };
}
