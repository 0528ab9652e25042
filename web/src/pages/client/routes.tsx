import type { RouteObject } from 'react-router';
import type { NavItem } from '@/components/nav';
import { PodsPage } from '@/pages/client/pods/PodsPage';

/** The client pages, mounted under <RequireAuth /> in app/routes.tsx. */
export const clientRoutes: RouteObject[] = [{ path: 'client/pods', element: <PodsPage /> }];

export const clientNav: NavItem[] = [];
