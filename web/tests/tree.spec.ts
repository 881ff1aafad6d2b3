import { describe, expect, it } from 'vitest';
import type { Department } from '@/api/types';
import { buildDeptTree, deptPath, findNode, flattenTree, reorderPatches, subtreeIds, toTreeOptions } from '@/utils/tree';

// The root's parent is 0, as the server sends it.
const d = (id: number, parent_id: number, name: string, order = 0): Department => ({
  id,
  parent_id,
  name,
  name_en: '',
  order,
  leader_userids: [],
  member_count: 0,
});

const flat: Department[] = [
  d(1, 0, '总公司'),
  d(2, 1, '研发部', 1),
  d(3, 1, '市场部', 2),
  d(4, 2, '后端组', 1),
  d(5, 2, '前端组', 2),
  d(6, 4, '存储小队', 1),
];

describe('buildDeptTree', () => {
  it('nests the flat list under its parents and keeps the server order of siblings', () => {
    const roots = buildDeptTree(flat);
    expect(roots.map((n) => n.name)).toEqual(['总公司']);
    expect(roots[0].children.map((n) => n.name)).toEqual(['研发部', '市场部']);
    expect(roots[0].children[0].children.map((n) => n.name)).toEqual(['后端组', '前端组']);
    expect(findNode(roots, 6)?.depth).toBe(3);
  });

  it('works whatever order the parents arrive in', () => {
    const roots = buildDeptTree([...flat].reverse());
    expect(roots).toHaveLength(1);
    expect(flattenTree(roots)).toHaveLength(flat.length);
    expect(findNode(roots, 6)?.parent_id).toBe(4);
  });

  it('makes departments whose parent is outside the list into roots (scoped administrators)', () => {
    const scoped = flat.filter((x) => x.id === 2 || x.id === 4 || x.id === 5 || x.id === 3);
    const roots = buildDeptTree(scoped);
    expect(roots.map((n) => n.id)).toEqual([2, 3]);
    expect(roots[0].children.map((n) => n.id)).toEqual([4, 5]);
  });

  it('does not loop on cyclic data', () => {
    const roots = buildDeptTree([d(10, 11, 'A'), d(11, 10, 'B'), d(12, 12, 'self')]);
    expect(flattenTree(roots).map((n) => n.id).sort()).toEqual([10, 11, 12]);
  });

  it('returns an empty forest for an empty list', () => {
    expect(buildDeptTree([])).toEqual([]);
  });
});

describe('tree helpers', () => {
  const roots = buildDeptTree(flat);

  it('lists a subtree', () => {
    expect(subtreeIds(findNode(roots, 2)!).sort()).toEqual([2, 4, 5, 6]);
  });

  it('gives the path from the top', () => {
    expect(deptPath(flat, 6).map((x) => x.name)).toEqual(['总公司', '研发部', '后端组', '存储小队']);
    expect(deptPath(flat, 99)).toEqual([]);
  });

  it('builds select options with disabled ids', () => {
    const opts = toTreeOptions(roots, new Set([3]));
    expect(opts[0].value).toBe(1);
    expect(opts[0].children?.find((o) => o.value === 3)?.disabled).toBe(true);
    expect(opts[0].children?.find((o) => o.value === 2)?.disabled).toBeUndefined();
  });
});

describe('reorderPatches', () => {
  it('swaps order numbers with the neighbour', () => {
    const sib = [
      { id: 1, order: 10 },
      { id: 2, order: 20 },
      { id: 3, order: 30 },
    ];
    expect(reorderPatches(sib, 1, -1)).toEqual([
      { id: 2, order: 10 },
      { id: 1, order: 20 },
    ]);
    expect(reorderPatches(sib, 2, 1)).toEqual([]);
    expect(reorderPatches(sib, 0, -1)).toEqual([]);
  });

  it('renumbers siblings when order numbers are equal, in the direction the list uses', () => {
    const asc = reorderPatches(
      [
        { id: 1, order: 0 },
        { id: 2, order: 0 },
      ],
      0,
      1,
    );
    expect(asc).toEqual([
      { id: 2, order: 10 },
      { id: 1, order: 20 },
    ]);
    const desc = reorderPatches(
      [
        { id: 1, order: 9 },
        { id: 2, order: 5 },
        { id: 3, order: 5 },
      ],
      2,
      -1,
    );
    // Displayed descending: new sequence 1, 3, 2 gets 30, 20, 10.
    expect(desc).toEqual([
      { id: 1, order: 30 },
      { id: 3, order: 20 },
      { id: 2, order: 10 },
    ]);
  });
});
