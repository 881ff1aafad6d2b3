import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router';
import { useSessionStore } from '@/stores/session';
import { notifyError } from '@/utils/notify';
import { ADMIN_SECTIONS } from './adminSections';

const adminViews: Record<string, () => Promise<unknown>> = {
  'admin-departments': () => import('@/views/admin/DepartmentsView.vue'),
  'admin-members': () => import('@/views/admin/MembersView.vue'),
  'admin-import': () => import('@/views/admin/ImportView.vue'),
  'admin-export': () => import('@/views/admin/ExportView.vue'),
  'admin-tags': () => import('@/views/admin/TagsView.vue'),
  'admin-roles': () => import('@/views/admin/RolesView.vue'),
  'admin-apps': () => import('@/views/admin/AppsView.vue'),
  'admin-audit': () => import('@/views/admin/AuditView.vue'),
  'admin-security': () => import('@/views/admin/SecurityView.vue'),
  'admin-messaging': () => import('@/views/admin/ChatPolicyView.vue'),
  'admin-quick-replies': () => import('@/views/admin/QuickRepliesView.vue'),
  'admin-approvals': () => import('@/views/admin/approvals/ApprovalsAdmin.vue'),
  'admin-attendance': () => import('@/views/admin/attendance/AttendanceAdmin.vue'),
};

const routes: RouteRecordRaw[] = [
  { path: '/setup', name: 'setup', component: () => import('@/views/SetupView.vue'), meta: { public: true, title: 'setup.title' } },
  { path: '/login', name: 'login', component: () => import('@/views/LoginView.vue'), meta: { public: true, title: 'login.title' } },
  {
    path: '/password',
    name: 'password',
    component: () => import('@/views/PasswordView.vue'),
    meta: { allowWhilePasswordExpired: true, title: 'password.title' },
  },
  {
    path: '/',
    component: () => import('@/layouts/AppLayout.vue'),
    children: [
      { path: '', redirect: { name: 'contacts' } },
      { path: 'chat/:id?', name: 'chat', component: () => import('@/views/ChatView.vue'), meta: { title: 'nav.chat', bleed: true } },
      { path: 'contacts', name: 'contacts', component: () => import('@/views/ContactsView.vue'), meta: { title: 'nav.contacts' } },
      { path: 'me', name: 'me', component: () => import('@/views/ProfileView.vue'), meta: { title: 'nav.me' } },
      { path: 'approvals', name: 'approvals', component: () => import('@/views/approvals/ApprovalsHome.vue'), meta: { title: 'approvals.title' } },
      { path: 'approvals/new', name: 'approvals-new', component: () => import('@/views/approvals/NewApplication.vue'), meta: { title: 'approvals.new.title', back: 'approvals' } },
      { path: 'approvals/new/:templateId', name: 'approvals-apply', component: () => import('@/views/approvals/ApplyForm.vue'), meta: { title: 'approvals.apply.title', back: 'approvals-new' } },
      { path: 'approvals/:spNo', name: 'approval-detail', component: () => import('@/views/approvals/ApprovalDetail.vue'), meta: { title: 'approvals.detail.title', back: 'approvals' } },
      { path: 'attendance', name: 'attendance', component: () => import('@/views/attendance/ClockIn.vue'), meta: { title: 'attendance.nav.clock' } },
      { path: 'attendance/month', name: 'attendance-month', component: () => import('@/views/attendance/MyMonth.vue'), meta: { title: 'attendance.nav.month', back: 'attendance' } },
      { path: 'attendance/balances', name: 'attendance-balances', component: () => import('@/views/attendance/MyBalances.vue'), meta: { title: 'attendance.nav.balances', back: 'attendance' } },
      { path: 'attendance/me/data', name: 'attendance-data', component: () => import('@/views/attendance/MyData.vue'), meta: { title: 'attendance.nav.data', back: 'attendance' } },
      { path: 'favourites', name: 'favourites', component: () => import('@/views/FavouritesView.vue'), meta: { title: 'favourites.title', back: 'me' } },
      {
        path: 'admin',
        name: 'admin',
        component: () => import('@/views/admin/AdminHome.vue'),
        meta: { admin: true, title: 'nav.admin' },
      },
      ...ADMIN_SECTIONS.map((s) => ({
        path: `admin/${s.path}`,
        name: s.name,
        component: adminViews[s.name],
        meta: { admin: true, permission: s.permission, title: `admin.section.${s.key}.title` },
      })),
      {
        path: 'admin/approvals/templates/:id',
        name: 'admin-approvals-designer',
        component: () => import('@/views/admin/approvals/TemplateDesigner.vue'),
        meta: { admin: true, permission: 'approvals.manage', title: 'approvals.designer.title', back: 'admin-approvals' },
      },
      {
        path: 'admin/attendance/rules/:id',
        name: 'admin-attendance-rule',
        component: () => import('@/views/admin/attendance/RuleEditor.vue'),
        meta: { admin: true, permission: 'attendance.manage', title: 'attendance.rule.title', back: 'admin-attendance' },
      },
      { path: ':pathMatch(.*)*', name: 'not-found', component: () => import('@/views/NotFoundView.vue'), meta: { title: 'notFound.title' } },
    ],
  },
];

export const router = createRouter({
  history: createWebHistory('/'),
  routes,
  scrollBehavior: () => ({ top: 0 }),
});

router.beforeEach(async (to) => {
  if (to.meta.public) return true;
  const session = useSessionStore();
  if (!session.loaded) {
    try {
      await session.load();
    } catch (e) {
      notifyError(e);
    }
  }
  if (!session.me) {
    try {
      const status = await session.setupStatus();
      if (status.needs_setup) return { name: 'setup' };
    } catch {
      /* the sign-in page shows the problem */
    }
    return { name: 'login', query: to.fullPath !== '/' ? { redirect: to.fullPath } : {} };
  }
  if (session.mustChangePassword && !to.meta.allowWhilePasswordExpired) return { name: 'password', query: { redirect: to.fullPath } };
  if (to.meta.admin && !session.isAdmin) return { name: 'contacts' };
  if (to.meta.permission && !session.can(to.meta.permission)) return { name: 'admin' };
  return true;
});
