/** Typed endpoints of `/api/v1`, grouped as in docs/api/rest.md. */
import { apiUrl, http } from './client';
import type {
  AdminEntry,
  AdminGrant,
  AdminList,
  App,
  AppInput,
  AppList,
  AuditEntry,
  AuditQuery,
  Corp,
  Department,
  DepartmentPatch,
  Handover,
  ImportMode,
  ImportReport,
  Items,
  LoginRequest,
  LoginResponse,
  Me,
  Member,
  MemberInput,
  MemberQuery,
  Page,
  ProfilePatch,
  SecuritySettings,
  SessionInfo,
  SetupRequest,
  SetupStatus,
  Tag,
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
  create: (body: SetupRequest) => http.post<{ corp_id: string }>('/setup', body, { allowUnauthorized: true }),
};

export const authApi = {
  login: (body: LoginRequest) => http.post<LoginResponse>('/auth/login', body, { allowUnauthorized: true }),
  logout: () => http.post<void>('/auth/logout', undefined, { allowUnauthorized: true }),
};

export const meApi = {
  get: () => http.get<Me>('/me', undefined, { allowUnauthorized: true }),
  changePassword: (old_password: string, new_password: string) => http.post<void>('/me/password', { old_password, new_password }),
  updateProfile: (patch: ProfilePatch) => http.patch<{ user: Member }>('/me/profile', patch),
  sessions: () => http.get<Items<SessionInfo>>('/me/sessions'),
  endSession: (id: string) => http.del(`/me/sessions/${enc(id)}`),
};

export const directoryApi = {
  departments: () => http.get<Items<Department>>('/directory/departments'),
  members: (q: MemberQuery) => http.get<Page<Member>>('/directory/members', { ...q }),
  member: (userid: string) => http.get<{ member: Member }>(`/directory/members/${enc(userid)}`),
};

export type MemberAction = 'freeze' | 'unfreeze' | 'unlock' | 'signout-all';

export const adminApi = {
  departments: () => http.get<Items<Department>>('/admin/departments'),
  createDepartment: (body: { name: string; parent_id: number; order?: number }) =>
    http.post<{ department: Department }>('/admin/departments', body),
  updateDepartment: (id: number, patch: DepartmentPatch) => http.patch<{ department: Department }>(`/admin/departments/${id}`, patch),
  deleteDepartment: (id: number) => http.del(`/admin/departments/${id}`),

  members: (q: MemberQuery) => http.get<Page<Member>>('/admin/members', { ...q }),
  member: (userid: string) => http.get<{ member: Member }>(`/admin/members/${enc(userid)}`),
  createMember: (body: MemberInput) => http.post<{ member: Member; initial_password?: string }>('/admin/members', body),
  updateMember: (userid: string, patch: MemberInput) => http.patch<{ member: Member }>(`/admin/members/${enc(userid)}`, patch),
  deleteMember: (userid: string) => http.del(`/admin/members/${enc(userid)}`),
  memberAction: (userid: string, action: MemberAction) => http.post<{ member: Member }>(`/admin/members/${enc(userid)}/${action}`),
  resetPassword: (userid: string, password?: string) =>
    http.post<{ initial_password?: string }>(`/admin/members/${enc(userid)}/reset-password`, password ? { password } : {}),
  offboard: (userid: string, successor_userid: string) =>
    http.post<{ member: Member; handovers: Handover[] }>(`/admin/members/${enc(userid)}/offboard`, { successor_userid }),
  importMembers: (file: File, mode: ImportMode, dryRun: boolean) => {
    const form = new FormData();
    form.append('file', file);
    form.append('mode', mode);
    form.append('dry_run', dryRun ? 'true' : 'false');
    return http.upload<ImportReport>('/admin/members/import', form);
  },
  exportUrl: (format: 'xlsx' | 'csv') => apiUrl('/admin/members/export', { format }),

  tags: () => http.get<Items<Tag>>('/admin/tags'),
  createTag: (name: string) => http.post<{ tag: Tag }>('/admin/tags', { name }),
  renameTag: (id: number, name: string) => http.patch<{ tag: Tag }>(`/admin/tags/${id}`, { name }),
  deleteTag: (id: number) => http.del(`/admin/tags/${id}`),
  tagMembers: (id: number) => http.get<Items<Member>>(`/admin/tags/${id}/members`),
  addTagMembers: (id: number, userids: string[]) => http.post<{ tag: Tag }>(`/admin/tags/${id}/members`, { userids }),
  removeTagMembers: (id: number, userids: string[]) => http.del<{ tag: Tag }>(`/admin/tags/${id}/members`, { userids }),

  admins: () => http.get<AdminList>('/admin/admins'),
  putAdmin: (userid: string, grant: AdminGrant) => http.put<{ admin: AdminEntry }>(`/admin/admins/${enc(userid)}`, grant),
  removeAdmin: (userid: string) => http.del(`/admin/admins/${enc(userid)}`),

  apps: () => http.get<AppList>('/admin/apps'),
  createApp: (body: AppInput) => http.post<{ app: App; secret: string }>('/admin/apps', body),
  updateApp: (agentid: number, patch: AppInput) => http.patch<{ app: App }>(`/admin/apps/${agentid}`, patch),
  deleteApp: (agentid: number) => http.del(`/admin/apps/${agentid}`),
  rotateAppSecret: (agentid: number) => http.post<{ secret: string }>(`/admin/apps/${agentid}/rotate-secret`),
  rotateContactsSyncSecret: () => http.post<{ secret: string }>('/admin/contacts-sync/rotate-secret'),

  audit: (q: AuditQuery) => http.get<Page<AuditEntry>>('/admin/audit', { ...q }),
  auditExportUrl: (q: AuditQuery) => apiUrl('/admin/audit/export', { ...q, offset: undefined, limit: undefined }),

  security: async () => unwrap<SecuritySettings>(await http.get('/admin/settings/security'), 'settings'),
  saveSecurity: async (s: SecuritySettings) => unwrap<SecuritySettings>(await http.put('/admin/settings/security', s), 'settings'),
  corp: async () => unwrap<Corp>(await http.get('/admin/corp'), 'corp'),
  saveCorp: async (c: { name: string; industry: string; size: string; time_zone?: string }) => unwrap<Corp>(await http.patch('/admin/corp', c), 'corp'),
};
