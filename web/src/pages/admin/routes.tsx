import type { RouteObject } from 'react-router';
import type { NavItem } from '@/components/nav';

/** The admin pages, mounted under <RequireAdmin /> in app/routes.tsx. */
export const adminRoutes: RouteObject[] = [];

export const adminNav: NavItem[] = [];
