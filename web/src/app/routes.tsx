import type { RouteObject } from 'react-router';
import { AppLayout } from '@/app/AppLayout';
import { RequireAdmin, RequireAuth } from '@/app/guards';
import { adminRoutes } from '@/pages/admin/routes';
import { clientRoutes } from '@/pages/client/routes';
import { HomePage } from '@/pages/home/HomePage';
import { LoginPage } from '@/pages/login/LoginPage';
import { NotFoundPage } from '@/pages/not-found/NotFoundPage';

export const routes: RouteObject[] = [
  {
    element: <AppLayout />,
    children: [
      // Public.
      { index: true, element: <HomePage /> },
      { path: 'login', element: <LoginPage /> },
      // Signed-in users (signed out -> /login?return_to=...). Admins also get the admin pages.
      {
        element: <RequireAuth />,
        children: [
          ...clientRoutes,
          { element: <RequireAdmin />, children: adminRoutes },
        ],
      },
      { path: '*', element: <NotFoundPage /> },
    ],
  },
];
