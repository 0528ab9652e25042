import { Navigate, type RouteObject } from 'react-router';
import type { NavItem } from '@/components/nav';
import { DashboardPage } from '@/pages/admin/dashboard/DashboardPage';
import { AdminDeployPage } from '@/pages/admin/deploy/AdminDeployPage';
import { AdminHelpPage } from '@/pages/admin/help/AdminHelpPage';
import { AuditLogPage } from '@/pages/admin/logs/AuditLogPage';
import { AdminPodsPage } from '@/pages/admin/pods/AdminPodsPage';
import { SettingsPage } from '@/pages/admin/settings/SettingsPage';
import { TemplatesPage } from '@/pages/admin/templates/TemplatesPage';
import { UsersPage } from '@/pages/admin/users/UsersPage';

/** The admin pages, mounted under <RequireAdmin /> in app/routes.tsx. */
export const adminRoutes: RouteObject[] = [
  { path: 'dashboard', element: <DashboardPage /> },
  { path: 'admin', element: <Navigate to="/dashboard" replace /> },
  { path: 'admin/pods', element: <AdminPodsPage /> },
  { path: 'admin/pods/deploy', element: <AdminDeployPage /> },
  { path: 'admin/users', element: <UsersPage /> },
  { path: 'admin/templates', element: <TemplatesPage /> },
  { path: 'admin/settings', element: <SettingsPage /> },
  { path: 'admin/logs', element: <AuditLogPage /> },
  { path: 'admin/help', element: <AdminHelpPage /> },
];

export const adminNav: NavItem[] = [
  { to: '/dashboard', label: 'adminNav.dashboard' },
  { to: '/admin/pods', label: 'adminNav.pods' },
  { to: '/admin/pods/deploy', label: 'adminNav.deploy' },
  { to: '/admin/users', label: 'adminNav.users' },
  { to: '/admin/templates', label: 'adminNav.templates' },
  { to: '/admin/settings', label: 'adminNav.settings' },
  { to: '/admin/logs', label: 'adminNav.logs' },
  { to: '/admin/help', label: 'adminNav.help' },
];
