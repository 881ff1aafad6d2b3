/**
 * Types and endpoints of the approvals API (`/api/v1/approvals`, `/api/v1/admin/approvals`), as in
 * docs/api/approvals.md, with the form and flow shapes of crates/approvals (form/mod.rs, flow/mod.rs).
 */
import { chatApi, mediaUrl } from './chat';
import { apiUrl, http } from './client';
import type { Items } from './types';

const enc = encodeURIComponent;

// ---------- the form ----------

export const FIELD_KINDS = [
  'text',
  'textarea',
  'number',
  'money',
  'date',
  'date_time',
  'date_range',
  'single_choice',
  'multi_choice',
  'member',
  'department',
  'attachment',
  'image',
  'table',
  'description',
  'related_approval',
] as const;
export type FieldKind = (typeof FIELD_KINDS)[number];

export interface ChoiceOption {
  key: string;
  text: string;
}

export const DURATION_UNITS = ['day', 'half_day', 'hour'] as const;
export type DurationUnit = (typeof DURATION_UNITS)[number];

/** One field of a form; the members that do not belong to its kind are left out. */
export interface Field {
  id: string;
  kind: FieldKind;
  title: string;
  required?: boolean;
  placeholder?: string;
  hint?: string;
  default?: unknown;
  options?: ChoiceOption[];
  multiple?: boolean;
  min?: number | null;
  max?: number | null;
  currency?: string | null;
  unit?: DurationUnit | null;
  columns?: Field[];
  text?: string;
  template_ids?: string[];
}

/** A date range's value: start and end by unit (date, "date am|pm", date-time) and the duration in that unit. */
export interface DateRangeValue {
  start: string;
  end: string;
  duration?: number;
}

/** An uploaded file as a form value holds it. */
export interface FileValue {
  file_id: string;
  name: string;
}

/** An applicant's values by field id (shapes in form/mod.rs); empty values are left out. */
export type FormValues = Record<string, unknown>;

// ---------- the flow ----------

export type ApprovalMode = 'sequential' | 'all' | 'any';
export const APPROVAL_MODES: ApprovalMode[] = ['sequential', 'all', 'any'];
export type WhenEmpty = 'skip' | 'admins' | 'refuse';
export const WHEN_EMPTY: WhenEmpty[] = ['skip', 'admins', 'refuse'];
export type LimitAction = 'none' | 'approve' | 'reject' | 'escalate';
export const LIMIT_ACTIONS: LimitAction[] = ['none', 'approve', 'reject', 'escalate'];

export type ApproverSource =
  | { kind: 'members'; userids: string[] }
  | { kind: 'leader'; level: number }
  | { kind: 'department_head'; department_id?: number | null }
  | { kind: 'tag'; tag_id: number }
  | { kind: 'admins'; permission?: string | null }
  | { kind: 'chosen'; multiple: boolean }
  | { kind: 'applicant' };
export type SourceKind = ApproverSource['kind'];
export const SOURCE_KINDS: SourceKind[] = ['members', 'leader', 'department_head', 'tag', 'admins', 'chosen', 'applicant'];

export interface TimeLimit {
  hours: number;
  remind_at?: number[];
  action?: LimitAction;
}

export interface ApproverNode {
  type: 'approver';
  id: string;
  name: string;
  approvers: ApproverSource[];
  mode?: ApprovalMode;
  when_empty?: WhenEmpty;
  time_limit?: TimeLimit | null;
}

export interface CcNode {
  type: 'cc';
  id: string;
  name: string;
  recipients: ApproverSource[];
}

export type Condition =
  | { kind: 'range'; field: string; min?: number | null; min_exclusive?: boolean; max?: number | null; max_exclusive?: boolean }
  | { kind: 'choice'; field: string; keys: string[] }
  | { kind: 'member'; field: string; userids: string[] }
  | { kind: 'department'; field: string; department_ids: number[] }
  | { kind: 'applicant_department'; department_ids: number[] }
  | { kind: 'applicant_tag'; tag_ids: number[] }
  | { kind: 'applicant'; userids: string[] };
export type ConditionKind = Condition['kind'];
export const CONDITION_KINDS: ConditionKind[] = ['range', 'choice', 'member', 'department', 'applicant_department', 'applicant_tag', 'applicant'];

export interface Branch {
  name: string;
  conditions: Condition[];
  nodes: FlowNode[];
}

export interface BranchNode {
  type: 'branch';
  id: string;
  branches: Branch[];
}

export type FlowNode = ApproverNode | CcNode | BranchNode;

export type SelfApproval = 'skip' | 'approve';
export type Consecutive = 'approve_once' | 'each';

export interface FlowRules {
  applicant_is_approver: SelfApproval;
  consecutive_approver: Consecutive;
}

export interface Flow {
  nodes: FlowNode[];
  rules?: FlowRules;
}

// ---------- what members see ----------

export type ApprovalStatus = 'pending' | 'approved' | 'rejected' | 'withdrawn' | 'returned';
export const APPROVAL_STATUSES: ApprovalStatus[] = ['pending', 'approved', 'rejected', 'withdrawn', 'returned'];
export type Box = 'todo' | 'done' | 'mine' | 'cc';
export const BOXES: Box[] = ['todo', 'done', 'mine', 'cc'];
export type Builtin = 'leave' | 'reimbursement' | 'business_trip' | 'purchase' | 'supplies' | 'overtime' | 'punch_correction';

export interface Person {
  userid: string;
  name: string;
  avatar?: string | null;
}

export interface TemplateBrief {
  template_id: string;
  name: string;
  group: string;
  icon?: string | null;
  description?: string | null;
  builtin?: Builtin | null;
}

export interface ChooseNode {
  node_id: string;
  name: string;
  multiple: boolean;
}

export interface TemplateForm extends TemplateBrief {
  version: number;
  fields: Field[];
  choose: ChooseNode[];
}

export type StepKind = 'approve' | 'cc';
export type PassReason = 'empty' | 'applicant';

/** One step of a route as the preview and the simulation answer it. */
export interface RouteStep {
  node_id: string;
  name: string;
  kind: StepKind;
  mode: ApprovalMode;
  people?: Person[];
  passes?: PassReason | null;
  time_limit?: TimeLimit | null;
}

export interface Problem {
  severity: 'error' | 'warning';
  code: string;
  node_id?: string | null;
  branch?: string | number | null;
  field?: string | null;
  department_id?: number | null;
  message: string;
}

export interface Preview {
  steps: RouteStep[];
  problems: Problem[];
}

export interface ApplyBody {
  template_id: string;
  values: FormValues;
  department_id?: number | null;
  chosen?: Record<string, string[]>;
  summary?: string[];
}

export interface Summary {
  sp_no: string;
  template_id: string;
  template_name: string;
  status: ApprovalStatus;
  applicant: Person;
  summary: string[];
  submitted_at: number;
  finished_at: number | null;
  current_step: string | null;
  waiting_since: number | null;
}

export interface SummaryPage {
  items: Summary[];
  total: number;
  next_cursor: string | null;
}

export interface ListQuery {
  box?: Box;
  template_id?: string;
  status?: ApprovalStatus | '';
  applicant?: string;
  from?: number;
  to?: number;
  q?: string;
  cursor?: string | null;
  limit?: number;
}

export interface Counts {
  todo: number;
  cc_unread: number;
}

export type StepStatus = 'waiting' | 'pending' | 'approved' | 'rejected' | 'passed';
export type PersonState = string;

export interface StepPerson extends Person {
  /** waiting, pending, approved, rejected, transferred, closed, copied. */
  state: PersonState;
  acted_at?: number | null;
  comment?: string | null;
  /** Approved for them because they had approved the step before. */
  auto?: boolean;
}

export interface DetailStep {
  node_id: string;
  name: string;
  kind: StepKind;
  mode: ApprovalMode;
  status: StepStatus;
  passes?: PassReason | null;
  people: StepPerson[];
}

export type TimelineAction =
  | 'submit'
  | 'approve'
  | 'reject'
  | 'return'
  | 'withdraw'
  | 'resubmit'
  | 'transfer'
  | 'add_approver'
  | 'urge'
  | 'comment'
  | 'pass'
  | 'remind'
  | 'escalate'
  | 'timeout_approve'
  | 'timeout_reject'
  | 'cc'
  | 'finish_approved'
  | 'finish_rejected';
export const TIMELINE_ACTIONS: TimelineAction[] = [
  'submit',
  'approve',
  'reject',
  'return',
  'withdraw',
  'resubmit',
  'transfer',
  'add_approver',
  'urge',
  'comment',
  'pass',
  'remind',
  'escalate',
  'timeout_approve',
  'timeout_reject',
  'cc',
  'finish_approved',
  'finish_rejected',
];

/** A file of an application's timeline (a decision's or a comment's). */
export interface FileRef {
  file_id: string;
  name: string;
  size?: number;
  image?: boolean;
}

export interface TimelineEntry {
  at: number;
  actor: Person | null;
  action: TimelineAction;
  comment?: string | null;
  to?: Person[];
  files?: FileRef[];
  /** The step's name, when it happened at one. */
  step?: string | null;
}

export type Action = 'approve' | 'reject' | 'transfer' | 'add_approver' | 'withdraw' | 'resubmit' | 'urge' | 'comment';

export interface Detail {
  sp_no: string;
  template_id: string;
  template_name: string;
  version: number;
  status: ApprovalStatus;
  applicant: Person;
  department: { id: number; name: string } | null;
  submitted_at: number;
  finished_at: number | null;
  summary: string[];
  fields: Field[];
  values: FormValues;
  steps: DetailStep[];
  timeline: TimelineEntry[];
  actions: Action[];
}

export interface DecisionBody {
  comment?: string;
  file_ids?: string[];
}

/** Where a rejection sends the application: absent rejects it, `applicant` returns it, a node id returns it to that node. */
export interface RejectBody extends DecisionBody {
  to?: string;
}

// ---------- administration ----------

export interface Submitters {
  department_ids: number[];
  userids: string[];
  tag_ids: number[];
}

export interface TemplateInput {
  name: string;
  group: string;
  icon?: string | null;
  description?: string | null;
  submitters?: Submitters;
  fields: Field[];
  flow: Flow;
  enabled?: boolean;
  note?: string;
}

export interface Template extends TemplateInput {
  template_id: string;
  builtin: Builtin | null;
  version: number;
  updated_at: number;
  /** Who changed it last, by name. */
  updated_by?: string | null;
}

export interface AdminTemplateRow {
  template_id: string;
  name: string;
  group: string;
  icon?: string | null;
  builtin: Builtin | null;
  enabled: boolean;
  version: number;
  updated_at: number;
}

export interface TemplateVersion {
  version: number;
  /** By name. */
  changed_by: string | null;
  changed_at: number;
  note?: string | null;
}

export interface SimulateBody {
  fields: Field[];
  flow: Flow;
  applicant: string;
  department_id?: number | null;
  values: FormValues;
  chosen?: Record<string, string[]>;
}

export interface Simulation {
  steps: RouteStep[];
  branches: { node_id: string; branch: string }[];
  problems: Problem[];
}

/** Times to decide, in milliseconds; `within_limit` is the share (0–1) of decisions with a limit made within it, null without limits. */
export interface Durations {
  count: number;
  average_ms: number;
  median_ms: number;
  p90_ms: number;
  within_limit?: number | null;
}

export interface StatsTemplate {
  template_id: string;
  name: string;
  submitted: number;
  approved: number;
  rejected: number;
  pending: number;
  /** From submission to the final decision. */
  decide: Durations;
}

export interface StatsNode {
  template_id: string;
  node_id: string;
  name: string;
  /** From the step being reached to each approver's decision. */
  decide: Durations;
}

export interface StatsWeek {
  /** Monday 00:00 UTC of the week (ms). */
  week: number;
  submitted: number;
  finished: number;
  median_ms: number;
}

export interface StatsApprover {
  userid: string;
  name: string;
  decisions: number;
  median_ms: number;
}

export interface Stats {
  templates: StatsTemplate[];
  nodes: StatsNode[];
  weeks: StatsWeek[];
  slowest: StatsApprover[];
}

export interface StatsQuery {
  template_id?: string;
  from?: number;
  to?: number;
}

// ---------- endpoints ----------

export const approvalsApi = {
  templates: () => http.get<Items<TemplateBrief>>('/approvals/templates'),
  template: (id: string) => http.get<TemplateForm>(`/approvals/templates/${enc(id)}`),
  preview: (body: Omit<ApplyBody, 'summary'>) => http.post<Preview>('/approvals/preview', body),
  submit: (body: ApplyBody) => http.post<{ sp_no: string }>('/approvals', body),
  list: (q: ListQuery) => http.get<SummaryPage>('/approvals', { ...q }),
  counts: () => http.get<Counts>('/approvals/counts'),
  get: (spNo: string) => http.get<Detail>(`/approvals/${enc(spNo)}`),
  approve: (spNo: string, body: DecisionBody = {}) => http.post<Detail>(`/approvals/${enc(spNo)}/approve`, body),
  reject: (spNo: string, body: RejectBody = {}) => http.post<Detail>(`/approvals/${enc(spNo)}/reject`, body),
  withdraw: (spNo: string, comment?: string) => http.post<Detail>(`/approvals/${enc(spNo)}/withdraw`, { comment }),
  resubmit: (spNo: string, body: Omit<ApplyBody, 'template_id' | 'summary'>) => http.post<Detail>(`/approvals/${enc(spNo)}/resubmit`, body),
  transfer: (spNo: string, userid: string, comment?: string) => http.post<Detail>(`/approvals/${enc(spNo)}/transfer`, { userid, comment }),
  addApprover: (spNo: string, userids: string[], position: 'before' | 'after', comment?: string) =>
    http.post<Detail>(`/approvals/${enc(spNo)}/add-approver`, { userids, position, comment }),
  urge: (spNo: string) => http.post<void>(`/approvals/${enc(spNo)}/urge`),
  comment: (spNo: string, content: string, file_ids?: string[]) => http.post<Detail>(`/approvals/${enc(spNo)}/comments`, { content, file_ids }),
};

export const adminApprovalsApi = {
  templates: () => http.get<Items<AdminTemplateRow>>('/admin/approvals/templates'),
  create: (body: TemplateInput) => http.post<Template>('/admin/approvals/templates', body),
  get: (id: string) => http.get<Template>(`/admin/approvals/templates/${enc(id)}`),
  save: (id: string, body: TemplateInput) => http.put<Template>(`/admin/approvals/templates/${enc(id)}`, body),
  remove: (id: string) => http.del(`/admin/approvals/templates/${enc(id)}`),
  versions: (id: string) => http.get<Items<TemplateVersion>>(`/admin/approvals/templates/${enc(id)}/versions`),
  version: (id: string, version: number) => http.get<Template>(`/admin/approvals/templates/${enc(id)}/versions/${version}`),
  check: (fields: Field[], flow: Flow) => http.post<{ problems: Problem[] }>('/admin/approvals/check', { fields, flow }),
  simulate: (body: SimulateBody) => http.post<Simulation>('/admin/approvals/simulate', body),
  flowToText: (flow: Flow) => http.post<{ text: string }>('/admin/approvals/flow-text', { flow }),
  textToFlow: (text: string) => http.post<{ flow: Flow }>('/admin/approvals/flow-text', { text }),
  list: (q: ListQuery) => http.get<SummaryPage>('/admin/approvals', { ...q, box: undefined }),
  exportUrl: (q: { template_id?: string; from?: number; to?: number; status?: string }) => apiUrl('/admin/approvals/export', { ...q }),
  stats: (q: StatsQuery) => http.get<Stats>('/admin/approvals/stats', { ...q }),
  handOver: (from_userid: string, to_userid: string) => http.post<{ moved: number }>('/admin/approvals/hand-over', { from_userid, to_userid }),
};

/**
 * Files of applications are uploaded like chat files (`POST /chat/media`): the media id is the
 * value's `file_id`. Before submission the uploader reads them back there; afterwards everyone who
 * may see the application reads them through it.
 */
export const filesApi = {
  upload: async (file: File, onProgress?: (fraction: number) => void, signal?: AbortSignal): Promise<FileValue> => {
    const m = await chatApi.upload(file, onProgress, signal);
    return { file_id: m.media_id, name: m.name || file.name };
  },
};

/** Where one's own upload is read back (or, with `thumb`, an image's thumbnail). */
export function fileUrl(fileId: string, thumb = false): string {
  return mediaUrl(fileId, thumb);
}

/** Where a file named by an application is downloaded. */
export function approvalFileUrl(spNo: string, fileId: string): string {
  return apiUrl(`/approvals/${enc(spNo)}/files/${enc(fileId)}`);
}
