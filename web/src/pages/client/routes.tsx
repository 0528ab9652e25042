import { Navigate, type RouteObject } from 'react-router';
import type { NavItem } from '@/components/nav';
import { DeployPage } from '@/pages/client/deploy/DeployPage';
import { HelpPage } from '@/pages/client/help/HelpPage';
import { PodDetailPage } from '@/pages/client/pods/PodDetailPage';
import { PodsPage } from '@/pages/client/pods/PodsPage';
import { SettingsPage } from '@/pages/client/settings/SettingsPage';
import { StatsPage } from '@/pages/client/stats/StatsPage';

/** The client pages, mounted under <RequireAuth /> in app/routes.tsx. */
export const clientRoutes: RouteObject[] = [
  { path: 'client', element: <Navigate to="/client/stats" replace /> },
  { path: 'client/stats', element: <StatsPage /> },
  { path: 'client/pods', element: <PodsPage /> },
  { path: 'client/pods/deploy', element: <DeployPage /> },
  { path: 'client/pods/:id', element: <PodDetailPage /> },
  { path: 'client/settings', element: <SettingsPage /> },
  { path: 'client/help', element: <HelpPage /> },
  // The profile and sessions page used to live here.
  { path: 'account', element: <Navigate to="/client/settings" replace /> },
];

export const clientNav: NavItem[] = [
  { to: '/client/stats', label: 'nav.stats' },
  { to: '/client/pods', label: 'nav.pods' },
  { to: '/client/pods/deploy', label: 'nav.deploy' },
  { to: '/client/settings', label: 'nav.settings' },
  { to: '/client/help', label: 'nav.help' },
];
