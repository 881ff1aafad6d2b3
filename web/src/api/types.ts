/** Types of the native REST API (`/api/v1`), as described in docs/api/rest.md. */

export type Gender = '0' | '1' | '2';
export type MemberStatus = 'not_activated' | 'active' | 'frozen' | 'departed';

export const PERMISSIONS = [
  'contacts.manage',
  'contacts.import',
  'roles.manage',
  'apps.manage',
  'audit.read',
  'security.manage',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

export const APP_SCOPES = ['contacts.read', 'contacts.write', 'message'] as const;
export type AppScope = (typeof APP_SCOPES)[number];

export interface MemberDepartment {
  id: number;
  name: string;
  is_main: boolean;
  order: number;
}

export interface Member {
  userid: string;
  name: string;
  alias?: string | null;
  employee_no?: string | null;
  mobile?: string | null;
  email?: string | null;
  position?: string | null;
  gender?: Gender | null;
  avatar?: string | null;
  status: MemberStatus;
  departments: MemberDepartment[];
  main_department?: number | null;
  leader_userid?: string | null;
  leader_name?: string | null;
  is_leader_in?: number[];
  tags?: { id: number; name: string }[];
  pinyin_initials?: string | null;
  created_at?: number;
}

export interface Department {
  id: number;
  parent_id: number | null;
  name: string;
  order: number;
  leader_userids: string[];
  member_count: number;
}

export interface Corp {
  corp_id?: string;
  id?: string;
  name: string;
  industry?: string | null;
  size?: string | null;
  /** IANA name of the enterprise's clock. */
  time_zone?: string;
}

export interface AdminScope {
  all: boolean;
  department_ids: number[];
}

export interface Me {
  user: Member;
  corp: Corp;
  permissions: Permission[];
  is_super_admin: boolean;
  admin_scope: AdminScope | null;
  csrf_token: string;
  must_change_password: boolean;
  /** The enterprise's minimum password length (security settings). */
  password_min_length?: number;
  /** The member's own time zone; '' follows the enterprise's. */
  time_zone?: string;
}

export interface SetupStatus {
  needs_setup: boolean;
  default_corp_id: string | null;
}

export interface SetupRequest {
  corp_name: string;
  industry: string;
  size: string;
  admin_name: string;
  admin_account: string;
  admin_password: string;
}

export interface LoginRequest {
  corp_id?: string;
  account: string;
  password: string;
  device?: string;
}

export interface LoginResponse {
  user: Member;
  must_change_password: boolean;
  csrf_token: string;
}

export interface SessionInfo {
  id: string;
  device: string | null;
  ip: string | null;
  created_at: number;
  last_seen_at: number;
  current: boolean;
}

export interface ProfilePatch {
  name?: string;
  email?: string;
  mobile?: string;
  gender?: Gender;
  avatar?: string;
  time_zone?: string;
}

export interface Page<T> {
  items: T[];
  total: number;
}

export interface Items<T> {
  items: T[];
}

export interface MemberQuery {
  department_id?: number;
  recursive?: boolean;
  q?: string;
  status?: MemberStatus | '';
  offset?: number;
  limit?: number;
}

export interface MemberInput {
  userid?: string;
  name?: string;
  department_ids?: number[];
  main_department?: number;
  mobile?: string;
  email?: string;
  position?: string;
  employee_no?: string;
  gender?: Gender;
  leader_userid?: string;
  tag_ids?: number[];
  initial_password?: string;
}

export interface DepartmentPatch {
  name?: string;
  order?: number;
  parent_id?: number;
  leader_userids?: string[];
}

export interface Handover {
  module: string;
  count: number;
}

export type ImportMode = 'valid_rows' | 'all_or_nothing';

export interface ImportReport {
  total: number;
  valid: number;
  invalid: number;
  /** Rows applied; some servers answer a flag (whether the file was applied) instead of a count. */
  applied: number | boolean;
  created: number;
  updated: number;
  errors: { row: number; field: string; reason: string }[];
}

export interface Tag {
  id: number;
  name: string;
  member_count: number;
}

export interface AdminEntry {
  userid: string;
  name: string;
  is_super: boolean;
  permissions: Permission[];
  scope: AdminScope;
}

/** The catalogue names each permission, as a bare code or with the server's label. */
export type CatalogueEntry = Permission | { code: Permission; label?: string };

export interface AdminList {
  items: AdminEntry[];
  permissions_catalogue: CatalogueEntry[];
}

export interface AdminGrant {
  permissions: Permission[];
  scope: AdminScope;
  is_super?: boolean;
}

export interface App {
  agentid: number;
  name: string;
  description: string | null;
  logo: string | null;
  visible_department_ids: number[];
  visible_userids: string[];
  scopes: AppScope[];
  created_at: number;
  secret_rotated_at: number | null;
}

export interface AppList {
  items: App[];
  contacts_sync: { configured: boolean; rotated_at: number | null };
}

export interface AppInput {
  name?: string;
  description?: string;
  logo?: string;
  visible_department_ids?: number[];
  visible_userids?: string[];
  scopes?: AppScope[];
}

export interface AuditEntry {
  id: number | string;
  at: number;
  actor: string | null;
  actor_name: string | null;
  ip: string | null;
  kind: string;
  target: string | null;
  before: unknown;
  after: unknown;
}

export interface AuditQuery {
  actor?: string;
  target?: string;
  kind?: string;
  from?: number;
  to?: number;
  offset?: number;
  limit?: number;
}

export interface SecuritySettings {
  password_min_length: number;
  password_rotation_days: number;
  login_max_failures: number;
  login_lock_minutes: number;
}
