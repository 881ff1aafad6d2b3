/**
 * Types of the native REST API (`/api/v1`). What the server answers (and the bodies it takes) comes
 * from the OpenAPI document the handlers generate (`generated.ts`, ADR 0009); only value domains the
 * document leaves open (genders, permission and scope codes) and generic envelopes are written here.
 */
import type { components } from './generated';

type Schemas = components['schemas'];

export type Gender = '0' | '1' | '2';
export type MemberStatus = Schemas['MemberStatus'];

export const PERMISSIONS = [
  'contacts.manage',
  'contacts.import',
  'roles.manage',
  'apps.manage',
  'audit.read',
  'security.manage',
  'approvals.manage',
  'attendance.manage',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

export const APP_SCOPES = ['contacts.read', 'contacts.write', 'message', 'approval', 'attendance'] as const;
export type AppScope = (typeof APP_SCOPES)[number];

export type MemberDepartment = Schemas['MemberDept'];
export type Member = Schemas['Member'];
export type MemberPage = Schemas['MemberPage'];
export type MemberReply = Schemas['MemberReply'];
export type CreatedMember = Schemas['CreatedMember'];
export type Offboarded = Schemas['Offboarded'];
export type Department = Schemas['Department'];
export type DepartmentList = Schemas['DepartmentList'];
export type DepartmentReply = Schemas['DepartmentReply'];
export type NewDepartment = Schemas['NewDepartment'];
export type Corp = Schemas['CorpProfile'];
export type CorpPatch = Schemas['CorpPatch'];
export type AdminScope = Schemas['AdminScope'];
export type Me = Schemas['Me'];
export type SetupStatus = Schemas['SetupStatus'];
export type SetupRequest = Schemas['NewEnterprise'];
export type SetupDone = Schemas['SetupDone'];
export type LoginRequest = Schemas['LoginRequest'];
export type LoginResponse = Schemas['SignedIn'];
export type SessionInfo = Schemas['SessionView'];
export type SessionList = Schemas['SessionList'];
export type ProfilePatch = Schemas['ProfilePatch'];
export type UserReply = Schemas['UserReply'];
export type InitialPassword = Schemas['InitialPassword'];

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

export type MemberInput = Schemas['MemberInput'];
export type DepartmentPatch = Schemas['DepartmentPatch'];
export type Handover = Schemas['Handover'];
export type ImportMode = Schemas['ImportMode'];
export type ImportReport = Schemas['ImportReport'];
export type Tag = Schemas['Tag'];
export type TagList = Schemas['TagList'];
export type TagReply = Schemas['TagReply'];
export type TagMemberList = Schemas['TagMemberList'];
export type TagMembersChanged = Schemas['TagMembersChanged'];
export type AdminEntry = Schemas['Administrator'];
export type CatalogueEntry = Schemas['PermissionLabel'];
export type AdminList = Schemas['AdminList'];
export type AdminGrant = Schemas['AdminGrant'];
export type AdminReply = Schemas['AdminReply'];
export type App = Schemas['AppView'];
export type AppList = Schemas['AppList'];
export type AppInput = Schemas['AppInput'];
export type AppReply = Schemas['AppReply'];
export type CreatedApp = Schemas['CreatedApp'];
export type NewSecret = Schemas['NewSecret'];
export type AuditEntry = Schemas['AuditRow'];
export type AuditPage = Schemas['AuditPage'];

export interface AuditQuery {
  actor?: string;
  target?: string;
  kind?: string;
  from?: number;
  to?: number;
  offset?: number;
  limit?: number;
}

export type SecuritySettings = Schemas['SecuritySettings'];
