/** Department tree helpers: the server sends a flat, ordered list; the tree is built here. */
import type { Department } from '@/api/types';

export interface DeptNode extends Department {
  children: DeptNode[];
  depth: number;
}

/**
 * Builds the forest from the flat list. Siblings keep the server's order unless it is missing,
 * in which case they fall back to (order, id). Departments whose parent is not in the list
 * (a scoped administrator sees only subtrees) become roots. Cycles in bad data are broken.
 */
export function buildDeptTree(items: Department[]): DeptNode[] {
  const nodes = new Map<number, DeptNode>();
  items.forEach((d) => nodes.set(d.id, { ...d, children: [], depth: 0 }));
  const roots: DeptNode[] = [];
  for (const d of items) {
    const node = nodes.get(d.id)!;
    const parent = d.parent_id != null && d.parent_id !== d.id ? nodes.get(d.parent_id) : undefined;
    if (parent && !isAncestor(node, parent, nodes)) parent.children.push(node);
    else roots.push(node);
  }
  const setDepth = (list: DeptNode[], depth: number) => {
    for (const n of list) {
      n.depth = depth;
      setDepth(n.children, depth + 1);
    }
  };
  setDepth(roots, 0);
  return roots;
}

/** True when `candidate` is `node` itself or one of its ancestors through parent links. */
function isAncestor(node: DeptNode, candidate: DeptNode, nodes: Map<number, DeptNode>): boolean {
  const seen = new Set<number>();
  let cur: DeptNode | undefined = candidate;
  while (cur) {
    if (cur.id === node.id) return true;
    if (seen.has(cur.id)) return true;
    seen.add(cur.id);
    cur = cur.parent_id != null ? nodes.get(cur.parent_id) : undefined;
  }
  return false;
}

export function findNode(roots: DeptNode[], id: number): DeptNode | undefined {
  for (const n of roots) {
    if (n.id === id) return n;
    const hit = findNode(n.children, id);
    if (hit) return hit;
  }
  return undefined;
}

/** Ids of a node and all of its descendants. */
export function subtreeIds(node: DeptNode): number[] {
  const out: number[] = [node.id];
  node.children.forEach((c) => out.push(...subtreeIds(c)));
  return out;
}

/** Path of names from the top to the department, e.g. ["总公司", "研发部"]. */
export function deptPath(items: Department[], id: number): Department[] {
  const byId = new Map(items.map((d) => [d.id, d]));
  const path: Department[] = [];
  const seen = new Set<number>();
  let cur = byId.get(id);
  while (cur && !seen.has(cur.id)) {
    seen.add(cur.id);
    path.unshift(cur);
    cur = cur.parent_id != null ? byId.get(cur.parent_id) : undefined;
  }
  return path;
}

/** Depth-first list of nodes, for selects that show indentation. */
export function flattenTree(roots: DeptNode[]): DeptNode[] {
  const out: DeptNode[] = [];
  const walk = (list: DeptNode[]) =>
    list.forEach((n) => {
      out.push(n);
      walk(n.children);
    });
  walk(roots);
  return out;
}

export interface TreeOption {
  value: number;
  label: string;
  children?: TreeOption[];
  disabled?: boolean;
}

/** Options for TDesign tree / tree-select components. */
export function toTreeOptions(roots: DeptNode[], disabled: Set<number> = new Set()): TreeOption[] {
  return roots.map((n) => ({
    value: n.id,
    label: n.name,
    disabled: disabled.has(n.id) || undefined,
    children: n.children.length ? toTreeOptions(n.children, disabled) : undefined,
  }));
}

export interface OrderPatch {
  id: number;
  order: number;
}

/**
 * Order changes that move sibling `index` one place up (-1) or down (+1). Siblings are given in
 * display order; the direction of the `order` numbers (ascending or descending) is read from them
 * so the result displays the same way whichever convention the server sorts by.
 */
export function reorderPatches(siblings: Pick<Department, 'id' | 'order'>[], index: number, delta: -1 | 1): OrderPatch[] {
  const target = index + delta;
  if (index < 0 || index >= siblings.length || target < 0 || target >= siblings.length) return [];
  const descending = siblings.some((s, i) => i > 0 && s.order < siblings[i - 1].order) && !siblings.some((s, i) => i > 0 && s.order > siblings[i - 1].order);
  const a = siblings[index];
  const b = siblings[target];
  if (a.order !== b.order) {
    return [
      { id: a.id, order: b.order },
      { id: b.id, order: a.order },
    ];
  }
  // Equal numbers: renumber the whole sibling list in the new sequence.
  const seq = siblings.slice();
  seq.splice(index, 1);
  seq.splice(target, 0, a);
  const n = seq.length;
  return seq
    .map((s, i) => ({ id: s.id, order: descending ? (n - i) * 10 : (i + 1) * 10, old: s.order }))
    .filter((p) => p.order !== p.old)
    .map(({ id, order }) => ({ id, order }));
}
