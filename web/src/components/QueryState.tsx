import { Center, Loader, Text } from '@mantine/core';
import type { UseQueryResult } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { asApiError } from '@/api/apiError';
import { ErrorState } from '@/components/ErrorState';
import { useI18n } from '@/i18n/context';

interface Props<T> {
  /** A useQuery result, or the same fields of another (e.g. the pages of useInfiniteQuery, flattened). */
  query: Pick<UseQueryResult<T>, 'data' | 'error' | 'isPending' | 'isError' | 'isFetching'> & { refetch: () => unknown };
  /** Decides the empty state, e.g. `(pods) => pods.length === 0`. Without it data is never empty. */
  isEmpty?: (data: T) => boolean;
  empty?: ReactNode;
  loading?: ReactNode;
  children: (data: T) => ReactNode;
}

/** The four states every page handles: loading, error (with retry), empty and ready. */
export function QueryState<T>({ query, isEmpty, empty, loading, children }: Props<T>) {
  const { t } = useI18n();

  if (query.isPending) {
    return (
      loading ?? (
        <Center py="xl" role="status" aria-label={t('common.loading')}>
          <Loader />
        </Center>
      )
    );
  }
  if (query.isError) {
    return (
      <ErrorState
        error={asApiError(query.error)}
        retrying={query.isFetching}
        onRetry={() => {
          void query.refetch();
        }}
      />
    );
  }
  const data = query.data as T;
  if (isEmpty?.(data)) {
    return (
      empty ?? (
        <Text c="dimmed" ta="center" py="xl">
          {t('common.empty')}
        </Text>
      )
    );
  }
  return <>{children(data)}</>;
}
