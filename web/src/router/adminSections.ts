import type { Component } from 'vue';
import {
  AppIcon,
  ChatMessageIcon,
  ChatSettingIcon,
  FactCheckIcon,
  DiscountIcon,
  FileExportIcon,
  FileImportIcon,
  HistoryIcon,
  TimeIcon,
  SecuredIcon,
  TreeRoundDotIcon,
  UsergroupIcon,
  UserSafetyIcon,
} from 'tdesign-icons-vue-next';
import type { Permission } from '@/api/types';

export interface AdminSection {
  name: string;
  path: string;
  /** i18n key stem: `${key}.title` / `${key}.desc` under `admin.section`. */
  key: string;
  icon: Component;
  permission: Permission;
}

/** The admin console's pages, in menu order, with the permission each needs. */
export const ADMIN_SECTIONS: AdminSection[] = [
  { name: 'admin-departments', path: 'departments', key: 'departments', icon: TreeRoundDotIcon, permission: 'contacts.manage' },
  { name: 'admin-members', path: 'members', key: 'members', icon: UsergroupIcon, permission: 'contacts.manage' },
  { name: 'admin-import', path: 'import', key: 'import', icon: FileImportIcon, permission: 'contacts.import' },
  { name: 'admin-export', path: 'export', key: 'export', icon: FileExportIcon, permission: 'contacts.manage' },
  { name: 'admin-tags', path: 'tags', key: 'tags', icon: DiscountIcon, permission: 'contacts.manage' },
  { name: 'admin-roles', path: 'roles', key: 'roles', icon: UserSafetyIcon, permission: 'roles.manage' },
  { name: 'admin-apps', path: 'apps', key: 'apps', icon: AppIcon, permission: 'apps.manage' },
  { name: 'admin-audit', path: 'audit', key: 'audit', icon: HistoryIcon, permission: 'audit.read' },
  { name: 'admin-security', path: 'security', key: 'security', icon: SecuredIcon, permission: 'security.manage' },
  { name: 'admin-messaging', path: 'messaging', key: 'messaging', icon: ChatSettingIcon, permission: 'security.manage' },
  { name: 'admin-quick-replies', path: 'quick-replies', key: 'quickReplies', icon: ChatMessageIcon, permission: 'security.manage' },
  { name: 'admin-approvals', path: 'approvals', key: 'approvals', icon: FactCheckIcon, permission: 'approvals.manage' },
  { name: 'admin-attendance', path: 'attendance', key: 'attendance', icon: TimeIcon, permission: 'attendance.manage' },
];
