import { MantineProvider } from '@mantine/core';
import { QueryClientProvider, type QueryClient } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import type { SocketFactory } from '@/api/realtime';
import { theme } from '@/app/theme';
import { I18nProvider } from '@/i18n/I18nProvider';
import type { Language } from '@/i18n/messages';
import { RealtimeProvider } from '@/modules/realtime/RealtimeProvider';

interface Props {
  queryClient: QueryClient;
  /** Tests fix it; the app lets I18nProvider choose. */
  language?: Language;
  /** `'test'` turns off Mantine's transitions and portals, so that menus and popovers open at once in jsdom. */
  mantineEnv?: 'default' | 'test';
  /** The live updates' WebSocket: the browser's by default; tests pass a fake. */
  createSocket?: SocketFactory;
  children: ReactNode;
}

/** Everything but the router, so that tests can wrap a memory router in the same providers. */
export function AppProviders({ queryClient, language, mantineEnv = 'default', createSocket, children }: Props) {
  return (
    <MantineProvider theme={theme} defaultColorScheme="auto" env={mantineEnv}>
      <QueryClientProvider client={queryClient}>
        <RealtimeProvider createSocket={createSocket}>
          <I18nProvider language={language}>{children}</I18nProvider>
        </RealtimeProvider>
      </QueryClientProvider>
    </MantineProvider>
  );
}
