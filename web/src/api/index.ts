/** Typed endpoints of `/api/v1`, grouped as in docs/api/rest.md. */
import { apiUrl, http } from './client';
import type {
  AdminGrant,
  AdminList,
  AdminReply,
  AppInput,
  AppList,
  AppReply,
  AuditPage,
  AuditQuery,
  Corp,
  CorpPatch,
  CreatedApp,
  CreatedMember,
  DepartmentList,
  DepartmentPatch,
  DepartmentReply,
  ImportMode,
  ImportReport,
  InitialPassword,
  LoginRequest,
  LoginResponse,
  Me,
  MemberInput,
  MemberPage,
  MemberQuery,
  MemberReply,
  NewDepartment,
  NewSecret,
  Offboarded,
  ProfilePatch,
  SecuritySettings,
  SessionList,
  SetupDone,
  SetupRequest,
  SetupStatus,
  TagList,
  TagMemberList,
  TagMembersChanged,
  TagReply,
  UserReply,
} from './types';

export * from './types';
export { ApiError, apiUrl } from './client';

const enc = encodeURIComponent;

/** Accepts both `{corp: {...}}` and a bare object, as the contract leaves the envelope open. */
export function unwrap<T>(value: unknown, key: string): T {
  if (value && typeof value === 'object' && key in value) return (value as Record<string, T>)[key];
  return value as T;
}

export const setupApi = {
  status: () => http.get<SetupStatus>('/setup/status', undefined, { allowUnauthorized: true }),
  create: (body: SetupRequest) => http.post<SetupDone>('/setup', body, { allowUnauthorized: true }),
};

export const authApi = {
  login: (body: LoginRequest) => http.post<LoginResponse>('/auth/login', body, { allowUnauthorized: true }),
  logout: () => http.post<void>('/auth/logout', undefined, { allowUnauthorized: true }),
};

export const meApi = {
  get: () => http.get<Me>('/me', undefined, { allowUnauthorized: true }),
  changePassword: (old_password: string, new_password: string) => http.post<void>('/me/password', { old_password, new_password }),
  updateProfile: (patch: ProfilePatch) => http.patch<UserReply>('/me/profile', patch),
  sessions: () => http.get<SessionList>('/me/sessions'),
  endSession: (id: string) => http.del(`/me/sessions/${enc(id)}`),
};

export const directoryApi = {
  departments: () => http.get<DepartmentList>('/directory/departments'),
  members: (q: MemberQuery) => http.get<MemberPage>('/directory/members', { ...q }),
  member: (userid: string) => http.get<MemberReply>(`/directory/members/${enc(userid)}`),
};

export type MemberAction = 'freeze' | 'unfreeze' | 'unlock' | 'signout-all';

export const adminApi = {
  departments: () => http.get<DepartmentList>('/admin/departments'),
  createDepartment: (body: NewDepartment) => http.post<DepartmentReply>('/admin/departments', body),
  updateDepartment: (id: number, patch: DepartmentPatch) => http.patch<DepartmentReply>(`/admin/departments/${id}`, patch),
  deleteDepartment: (id: number) => http.del(`/admin/departments/${id}`),

  members: (q: MemberQuery) => http.get<MemberPage>('/admin/members', { ...q }),
  member: (userid: string) => http.get<MemberReply>(`/admin/members/${enc(userid)}`),
  createMember: (body: MemberInput) => http.post<CreatedMember>('/admin/members', body),
  updateMember: (userid: string, patch: MemberInput) => http.patch<MemberReply>(`/admin/members/${enc(userid)}`, patch),
  deleteMember: (userid: string) => http.del(`/admin/members/${enc(userid)}`),
  memberAction: (userid: string, action: MemberAction) => http.post<MemberReply>(`/admin/members/${enc(userid)}/${action}`),
  resetPassword: (userid: string, password?: string) =>
    http.post<InitialPassword>(`/admin/members/${enc(userid)}/reset-password`, password ? { password } : {}),
  offboard: (userid: string, successor_userid: string) =>
    http.post<Offboarded>(`/admin/members/${enc(userid)}/offboard`, { successor_userid }),
  importMembers: (file: File, mode: ImportMode, dryRun: boolean) => {
    const form = new FormData();
    form.append('file', file);
    form.append('mode', mode);
    form.append('dry_run', dryRun ? 'true' : 'false');
    return http.upload<ImportReport>('/admin/members/import', form);
  },
  exportUrl: (format: 'xlsx' | 'csv') => apiUrl('/admin/members/export', { format }),

  tags: () => http.get<TagList>('/admin/tags'),
  createTag: (name: string) => http.post<TagReply>('/admin/tags', { name }),
  renameTag: (id: number, name: string) => http.patch<TagReply>(`/admin/tags/${id}`, { name }),
  deleteTag: (id: number) => http.del(`/admin/tags/${id}`),
  tagMembers: (id: number) => http.get<TagMemberList>(`/admin/tags/${id}/members`),
  addTagMembers: (id: number, userids: string[]) => http.post<TagMembersChanged>(`/admin/tags/${id}/members`, { userids }),
  removeTagMembers: (id: number, userids: string[]) => http.del<TagMembersChanged>(`/admin/tags/${id}/members`, { userids }),

  admins: () => http.get<AdminList>('/admin/admins'),
  putAdmin: (userid: string, grant: AdminGrant) => http.put<AdminReply>(`/admin/admins/${enc(userid)}`, grant),
  removeAdmin: (userid: string) => http.del(`/admin/admins/${enc(userid)}`),

  apps: () => http.get<AppList>('/admin/apps'),
  createApp: (body: AppInput) => http.post<CreatedApp>('/admin/apps', body),
  updateApp: (agentid: number, patch: AppInput) => http.patch<AppReply>(`/admin/apps/${agentid}`, patch),
  deleteApp: (agentid: number) => http.del(`/admin/apps/${agentid}`),
  rotateAppSecret: (agentid: number) => http.post<NewSecret>(`/admin/apps/${agentid}/rotate-secret`),
  rotateContactsSyncSecret: () => http.post<NewSecret>('/admin/contacts-sync/rotate-secret'),

  audit: (q: AuditQuery) => http.get<AuditPage>('/admin/audit', { ...q }),
  auditExportUrl: (q: AuditQuery) => apiUrl('/admin/audit/export', { ...q, offset: undefined, limit: undefined }),

  security: async () => unwrap<SecuritySettings>(await http.get('/admin/settings/security'), 'settings'),
  saveSecurity: async (s: SecuritySettings) => unwrap<SecuritySettings>(await http.put('/admin/settings/security', s), 'settings'),
  corp: async () => unwrap<Corp>(await http.get('/admin/corp'), 'corp'),
  saveCorp: async (c: CorpPatch) => unwrap<Corp>(await http.patch('/admin/corp', c), 'corp'),
};
