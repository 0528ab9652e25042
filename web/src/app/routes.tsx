import type { RouteObject } from 'react-router';
import { AppLayout } from '@/app/AppLayout';
import { RequireAuth } from '@/app/guards';
import { AccountPage } from '@/pages/account/AccountPage';
import { PodsPage } from '@/pages/client/pods/PodsPage';
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
      // Signed-in users (signed out -> /login?return_to=...). Admin pages go under <RequireAdmin />.
      {
        element: <RequireAuth />,
        children: [
          { path: 'account', element: <AccountPage /> },
          { path: 'client/pods', element: <PodsPage /> },
        ],
      },
      { path: '*', element: <NotFoundPage /> },
    ],
  },
];
