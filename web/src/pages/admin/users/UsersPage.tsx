import { Button, Group, NativeSelect, SimpleGrid, Stack, Text, TextInput, Title } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { asApiError } from '@/api/apiError';
import { meQuery, type Role, type User } from '@/api/queries/auth';
import {
  adminUsersQuery,
  blockUserMutation,
  setRoleMutation,
  unblockUserMutation,
  userSignedUp,
  type SortOrder,
  type UserFilter,
  type UserSort,
} from '@/api/queries/adminUsers';
import { ConfirmDialog } from '@/components/admin/ConfirmDialog';
import { ErrorState } from '@/components/ErrorState';
import { QueryState } from '@/components/QueryState';
import { useI18n } from '@/i18n/context';
import { formatBalance, formatNumber } from '@/i18n/format';
import { useRealtimeEvent } from '@/modules/realtime/context';
import { BalanceModal } from '@/pages/admin/users/BalanceModal';
import { UsersTable } from '@/pages/admin/users/UsersTable';

type RoleFilter = 'all' | Role;
type StatusFilter = 'all' | 'active' | 'blocked';

/** A pending confirmation: blocking, or a role change. */
type Confirming = { kind: 'block'; user: User } | { kind: 'role'; user: User; role: Role } | null;

/** /admin/users: every user, with search, filters and sort; credit, block and role from each row. */
export function UsersPage() {
  const { t, language } = useI18n();
  const me = useQuery(meQuery());
  const [search, setSearch] = useState('');
  const [debouncedSearch] = useDebouncedValue(search, 300);
  const [role, setRole] = useState<RoleFilter>('all');
  const [status, setStatus] = useState<StatusFilter>('all');
  const [sort, setSort] = useState<{ by: UserSort; order: SortOrder }>({ by: 'created_at', order: 'desc' });
  const filter: UserFilter = {
    ...(debouncedSearch.trim() !== '' && { search: debouncedSearch.trim() }),
    ...(role !== 'all' && { role }),
    ...(status !== 'all' && { blocked: status === 'blocked' }),
    sort: sort.by,
    order: sort.order,
  };
  const users = useInfiniteQuery(adminUsersQuery(filter));
  const client = useQueryClient();
  // Someone signed up meanwhile: the list (and its count) shows them.
  useRealtimeEvent('user.signed_up', () => void userSignedUp(client));

  const block = useMutation(blockUserMutation());
  const unblock = useMutation(unblockUserMutation());
  const changeRole = useMutation(setRoleMutation());
  const [confirming, setConfirming] = useState<Confirming>(null);
  const [crediting, setCrediting] = useState<User | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const clear = () => {
    block.reset();
    unblock.reset();
    changeRole.reset();
    setNotice(null);
  };

  const onSort = (by: UserSort) => {
    setSort((current) =>
      current.by === by
        ? { by, order: current.order === 'asc' ? 'desc' : 'asc' }
        : { by, order: by === 'created_at' ? 'desc' : 'asc' },
    );
  };

  const confirm = () => {
    if (confirming === null) {
      return;
    }
    const { user } = confirming;
    if (confirming.kind === 'block') {
      block.mutate(user.id, {
        onSuccess: () => {
          setConfirming(null);
          setNotice(t('adminUsers.blocked', { email: user.email }));
        },
      });
    } else {
      changeRole.mutate(
        { id: user.id, role: confirming.role },
        {
          onSuccess: (changed) => {
            setConfirming(null);
            setNotice(t('adminUsers.roleChanged', { email: changed.email, role: t(`role.${changed.role}`) }));
          },
        },
      );
    }
  };

  const busyId = block.isPending
    ? block.variables
    : unblock.isPending
      ? unblock.variables
      : changeRole.isPending
        ? changeRole.variables.id
        : undefined;
  const confirmError = confirming?.kind === 'block' ? block.error : confirming?.kind === 'role' ? changeRole.error : null;

  return (
    <Stack gap="lg" maw={1200} mx="auto" py="xl">
      <Stack gap={4}>
        <Title order={1}>{t('adminUsers.title')}</Title>
        <Text c="dimmed">{t('adminUsers.description')}</Text>
      </Stack>

      <SimpleGrid cols={{ base: 1, sm: 3 }} role="search" aria-label={t('adminUsers.filters')}>
        <TextInput
          label={t('adminUsers.search')}
          placeholder={t('adminUsers.searchPlaceholder')}
          value={search}
          onChange={(e) => setSearch(e.currentTarget.value)}
          type="search"
        />
        <NativeSelect
          label={t('adminUsers.roleFilter')}
          data={[
            { value: 'all', label: t('adminUsers.all') },
            { value: 'client', label: t('adminUsers.clients') },
            { value: 'admin', label: t('adminUsers.admins') },
          ]}
          value={role}
          onChange={(e) => setRole(e.currentTarget.value as RoleFilter)}
        />
        <NativeSelect
          label={t('adminUsers.statusFilter')}
          data={[
            { value: 'all', label: t('adminUsers.all') },
            { value: 'active', label: t('adminUsers.active') },
            { value: 'blocked', label: t('adminUsers.blockedOnly') },
          ]}
          value={status}
          onChange={(e) => setStatus(e.currentTarget.value as StatusFilter)}
        />
      </SimpleGrid>

      {notice !== null && (
        <Text role="status" c="teal" size="sm">
          {notice}
        </Text>
      )}
      {unblock.error !== null && <ErrorState error={asApiError(unblock.error)} />}

      <QueryState
        query={users}
        isEmpty={(data) => data.pages.every((p) => p.items.length === 0)}
        empty={
          <Text c="dimmed" ta="center" py="xl">
            {t('adminUsers.empty')}
          </Text>
        }
      >
        {(data) => (
          <Stack gap="md">
            <UserCount total={data.pages[data.pages.length - 1]?.total} />
            <UsersTable
              users={data.pages.flatMap((p) => p.items)}
              meId={me.data?.user.id}
              sort={sort}
              onSort={onSort}
              busyId={busyId}
              onCredit={(user) => {
                clear();
                setCrediting(user);
              }}
              onBlock={(user) => {
                clear();
                setConfirming({ kind: 'block', user });
              }}
              onUnblock={(user) => {
                clear();
                unblock.mutate(user.id, {
                  onSuccess: () => setNotice(t('adminUsers.unblocked', { email: user.email })),
                });
              }}
              onRole={(user, next) => {
                clear();
                setConfirming({ kind: 'role', user, role: next });
              }}
            />
            {users.hasNextPage && (
              <Group justify="center">
                <Button variant="default" loading={users.isFetchingNextPage} onClick={() => void users.fetchNextPage()}>
                  {t('adminUsers.loadMore')}
                </Button>
              </Group>
            )}
          </Stack>
        )}
      </QueryState>

      <ConfirmDialog
        opened={confirming !== null}
        title={
          confirming === null
            ? ''
            : confirming.kind === 'block'
              ? t('adminUsers.block.title', { email: confirming.user.email })
              : confirming.role === 'admin'
                ? t('adminUsers.role.toAdminTitle', { email: confirming.user.email })
                : t('adminUsers.role.toClientTitle', { email: confirming.user.email })
        }
        body={
          confirming?.kind === 'block'
            ? t('adminUsers.block.body')
            : confirming?.kind === 'role' && confirming.role === 'admin'
              ? t('adminUsers.role.toAdminBody')
              : t('adminUsers.role.toClientBody')
        }
        confirmLabel={
          confirming?.kind === 'block'
            ? t('adminUsers.block.confirm')
            : confirming?.kind === 'role' && confirming.role === 'admin'
              ? t('adminUsers.makeAdmin')
              : t('adminUsers.makeClient')
        }
        cancelLabel={t('admin.cancel')}
        busy={block.isPending || changeRole.isPending}
        error={confirmError === null ? null : asApiError(confirmError)}
        onConfirm={confirm}
        onCancel={() => {
          setConfirming(null);
          clear();
        }}
      />

      <BalanceModal
        user={crediting}
        onClose={() => setCrediting(null)}
        onDone={(user) => {
          setCrediting(null);
          setNotice(t('adminUsers.balanceChanged', { email: user.email, amount: formatBalance(user.balance_micros, language) }));
        }}
      />
    </Stack>
  );
}

/** "42 users": how many match the filters, over every page (the API's `total`). */
function UserCount({ total }: { total: number | undefined }) {
  const { t, language } = useI18n();
  if (total === undefined) {
    return null;
  }
  return (
    <Text size="sm" c="dimmed" aria-live="polite" data-testid="user-count">
      {total === 1 ? t('adminUsers.count.one') : t('adminUsers.count.other', { count: formatNumber(total, language) })}
    </Text>
  );
}
