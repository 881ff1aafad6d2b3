import { describe, expect, it } from 'vitest';
import type { BranchNode, Field, Flow } from '@/api/approvals';
import { addBranch, conditionFields, conditionText, findNode, makeCondition, makeNode, moveBranch, nodeIds, normalizeFlow, sourceText, starterFlow, walk } from '@/components/approvals/flow';
import { groupLabel, groupRank, knownGroup } from '@/components/approvals/groups';

const names = { approver: '审批人', cc: '抄送人', branch: (n: number) => `条件${n}`, otherwise: '其他情况' };
const t = (key: string, named?: Record<string, unknown>) => (named ? `${key}${JSON.stringify(named)}` : key);
const look = { member: (u: string) => ({ wulei: '吴磊', chenjing: '陈静' })[u] ?? u, department: (id: number) => `D${id}`, tag: (id: number) => `T${id}` };
const fields: Field[] = [
  { id: 'amount', kind: 'money', title: '金额' },
  { id: 'type', kind: 'single_choice', title: '类型', options: [{ key: 'a', text: '年假' }, { key: 'b', text: '事假' }] },
  { id: 'who', kind: 'member', title: '同行人' },
  { id: 'reason', kind: 'text', title: '事由' },
];

function sample(): Flow {
  return {
    nodes: [
      { type: 'approver', id: 'leader', name: '直属上级', approvers: [{ kind: 'leader', level: 1 }] },
      {
        type: 'branch',
        id: 'money',
        branches: [
          { name: '大额', conditions: [{ kind: 'range', field: 'amount', min: 10000, min_exclusive: true }], nodes: [{ type: 'approver', id: 'gm', name: '总经理', approvers: [{ kind: 'members', userids: ['chenjing'] }] }] },
          { name: '其他', conditions: [], nodes: [] },
        ],
      },
      { type: 'cc', id: 'finance', name: '财务', recipients: [{ kind: 'tag', tag_id: 3 }] },
    ],
  };
}

describe('the flow tree', () => {
  it('walks every node depth first and finds them by id', () => {
    const flow = sample();
    expect(nodeIds(flow)).toEqual(['leader', 'money', 'gm', 'finance']);
    expect(findNode(flow, 'gm')?.type).toBe('approver');
    expect(findNode(flow, 'nope')).toBeNull();
    const seen: number[] = [];
    walk(flow.nodes, (_n, _list, i) => seen.push(i));
    expect(seen).toEqual([0, 1, 0, 2]);
  });

  it('makes nodes with fresh ids and what each kind needs', () => {
    const a = makeNode('approver', names, ['approve-x']);
    expect(a).toMatchObject({ type: 'approver', name: '审批人', approvers: [{ kind: 'leader', level: 1 }], mode: 'any', when_empty: 'skip' });
    expect(a.id).toMatch(/^approve-[a-z0-9]+$/);
    const b = makeNode('branch', names, []) as BranchNode;
    expect(b.branches.map((x) => [x.name, x.conditions.length])).toEqual([
      ['条件1', 0],
      ['其他情况', 0],
    ]);
    expect(makeNode('cc', names, [])).toMatchObject({ type: 'cc', name: '抄送人', recipients: [] });
  });

  it('adds branches before the default one and moves them', () => {
    const b = makeNode('branch', names, []) as BranchNode;
    addBranch(b, '条件2');
    expect(b.branches.map((x) => x.name)).toEqual(['条件1', '条件2', '其他情况']);
    moveBranch(b, 1, -1);
    expect(b.branches.map((x) => x.name)).toEqual(['条件2', '条件1', '其他情况']);
    moveBranch(b, 0, -1);
    expect(b.branches.map((x) => x.name)).toEqual(['条件2', '条件1', '其他情况']);
  });

  it('fills in the rules', () => {
    expect(normalizeFlow({ nodes: [] }).rules).toEqual({ applicant_is_approver: 'skip', consecutive_approver: 'approve_once' });
    expect(normalizeFlow({ nodes: [], rules: { applicant_is_approver: 'approve', consecutive_approver: 'each' } }).rules.consecutive_approver).toBe('each');
  });
});

describe('texts on the cards', () => {
  it('describes approver sources', () => {
    expect(sourceText({ kind: 'leader', level: 1 }, t, look)).toBe('approvals.source.leader1');
    expect(sourceText({ kind: 'leader', level: 2 }, t, look)).toBe('approvals.source.leaderN{"n":2}');
    expect(sourceText({ kind: 'members', userids: ['wulei', 'chenjing'] }, t, look)).toBe('吴磊approvals.listSep陈静');
    expect(sourceText({ kind: 'department_head', department_id: 4 }, t, look)).toBe('approvals.source.headOf{"dept":"D4"}');
    expect(sourceText({ kind: 'chosen', multiple: true }, t, look)).toBe('approvals.source.chosenMany');
  });

  it('describes conditions', () => {
    expect(conditionText({ kind: 'range', field: 'amount', min: 10000, min_exclusive: true }, fields, t, look)).toBe('金额 > 10000');
    expect(conditionText({ kind: 'range', field: 'amount', min: 5000 }, fields, t, look)).toBe('金额 ≥ 5000');
    expect(conditionText({ kind: 'range', field: 'amount', max: 5000, max_exclusive: true }, fields, t, look)).toBe('金额 < 5000');
    expect(conditionText({ kind: 'range', field: 'amount', min: 1, max: 9 }, fields, t, look)).toBe('1 ≤ 金额 ≤ 9');
    expect(conditionText({ kind: 'choice', field: 'type', keys: ['b'] }, fields, t, look)).toBe('approvals.cond.is{"field":"类型","values":"事假"}');
  });

  it('offers conditions on the fields that can be tested, starting on the first that fits', () => {
    expect(conditionFields(fields).map((x) => [x.field.id, x.kind])).toEqual([
      ['amount', 'range'],
      ['type', 'choice'],
      ['who', 'member'],
    ]);
    expect(makeCondition('range', fields)).toEqual({ kind: 'range', field: 'amount', min: null, max: null });
    expect(makeCondition('department', fields)).toEqual({ kind: 'department', field: '', department_ids: [] });
  });
});

describe('template groups', () => {
  it('reads the known groups by key or Chinese name and keeps custom ones', () => {
    expect(knownGroup('finance')).toBe('finance');
    expect(knownGroup('人事')).toBe('hr');
    expect(knownGroup('研发')).toBeNull();
    expect(groupLabel('财务', (k) => k)).toBe('approvals.group.finance');
    expect(groupLabel('研发', (k) => k)).toBe('研发');
    expect([groupRank('other'), groupRank('研发'), groupRank('admin'), groupRank('hr')]).toEqual([4, 3.5, 2, 0]);
  });
});

describe('a new template', () => {
  it('starts with the direct leader approving, on a node named as given', () => {
    const flow = starterFlow(names, '直属上级');
    expect(flow.rules).toEqual({ applicant_is_approver: 'skip', consecutive_approver: 'approve_once' });
    expect(flow.nodes).toHaveLength(1);
    expect(flow.nodes[0]).toMatchObject({ type: 'approver', name: '直属上级', approvers: [{ kind: 'leader', level: 1 }] });
    expect(starterFlow(names).nodes[0]).toMatchObject({ name: '审批人' });
  });
});
