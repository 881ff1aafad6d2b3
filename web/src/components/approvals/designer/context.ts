import type { InjectionKey, Ref } from 'vue';
import type { BranchNode, Field, FlowNode, Problem } from '@/api/approvals';
import type { Lookups, NodeNames } from '../flow';

/** What every level of the flow tree needs from the designer around it. */
export interface FlowContext {
  fields: Ref<Field[]>;
  look: Lookups;
  names: () => NodeNames;
  readonly: Ref<boolean>;
  /** The node (or the branch of a branch node) whose drawer is open. */
  selected: Ref<{ id: string; branch: number | null } | null>;
  select: (node: FlowNode, branch?: number) => void;
  /** Problems of the check that point at this node (and branch, when given). */
  problemsOf: (nodeId: string, branch?: number) => Problem[];
  /** A node id not used anywhere in the flow yet. */
  takenIds: () => string[];
  /** Nodes the last simulation went through (ids), and the branch it took at each branch node. */
  path: Ref<{ nodes: Set<string>; branches: Map<string, string> } | null>;
  removeBranchNode: (node: BranchNode) => void;
}

export const FLOW_CONTEXT: InjectionKey<FlowContext> = Symbol('flow-context');
