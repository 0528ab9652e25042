import { Badge, Button, Group, Stack, Table, Text, UnstyledButton, VisuallyHidden } from '@mantine/core';
import { useId } from 'react';
import type { Role, User } from '@/api/queries/auth';
import type { SortOrder, UserSort } from '@/api/queries/adminUsers';
import { useI18n } from '@/i18n/context';
import { formatBalance, formatDate } from '@/i18n/format';

interface Props {
  users: User[];
  /** The signed-in admin: no blocking nor demoting oneself. */
  meId: string | undefined;
  sort: { by: UserSort; order: SortOrder };
  onSort: (by: UserSort) => void;
  /** The user an action is in progress for. */
  busyId: string | undefined;
  onCredit: (user: User) => void;
  onBlock: (user: User) => void;
  onUnblock: (user: User) => void;
  onRole: (user: User, role: Role) => void;
}

export function UsersTable({ users, meId, sort, onSort, busyId, onCredit, onBlock, onUnblock, onRole }: Props) {
  const { t } = useI18n();
  const header = (by: UserSort, label: 'adminUsers.user' | 'adminUsers.balance' | 'adminUsers.joined') => {
    const active = sort.by === by;
    return (
      <Table.Th aria-sort={active ? (sort.order === 'asc' ? 'ascending' : 'descending') : 'none'} style={{ whiteSpace: 'nowrap' }}>
        <UnstyledButton onClick={() => onSort(by)} fw={700} fz="sm">
          {t(label)}
          <span aria-hidden>{active ? (sort.order === 'asc' ? ' ▲' : ' ▼') : ' ↕'}</span>
        </UnstyledButton>
      </Table.Th>
    );
  };
  return (
    <Table.ScrollContainer minWidth={900} type="native">
      <Table verticalSpacing="sm" highlightOnHover>
        <Table.Thead>
          <Table.Tr>
            {header('email', 'adminUsers.user')}
            <Table.Th>{t('adminUsers.role')}</Table.Th>
            {header('balance', 'adminUsers.balance')}
            <Table.Th>{t('adminUsers.status')}</Table.Th>
            {header('created_at', 'adminUsers.joined')}
            <Table.Th>
              <VisuallyHidden>{t('adminUsers.actions')}</VisuallyHidden>
            </Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {users.map((user) => (
            <UserRow
              key={user.id}
              user={user}
              self={user.id === meId}
              busy={busyId === user.id}
              onCredit={() => onCredit(user)}
              onBlock={() => onBlock(user)}
              onUnblock={() => onUnblock(user)}
              onRole={(role) => onRole(user, role)}
            />
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

interface RowProps {
  user: User;
  self: boolean;
  busy: boolean;
  onCredit: () => void;
  onBlock: () => void;
  onUnblock: () => void;
  onRole: (role: Role) => void;
}

function UserRow({ user, self, busy, onCredit, onBlock, onUnblock, onRole }: RowProps) {
  const { t, language } = useI18n();
  const nameId = useId();
  const otherRole: Role = user.role === 'admin' ? 'client' : 'admin';
  return (
    <Table.Tr>
      <Table.Td maw={320}>
        <Stack gap={2} id={nameId}>
          <Text fw={600} size="sm" style={{ overflowWrap: 'anywhere' }}>
            {user.email}
          </Text>
          {user.name !== '' && (
            <Text size="xs" c="dimmed">
              {user.name}
            </Text>
          )}
        </Stack>
        {self && (
          <Badge size="xs" variant="outline" mt={4}>
            {t('adminUsers.you')}
          </Badge>
        )}
      </Table.Td>
      <Table.Td>
        <Badge variant="light" color={user.role === 'admin' ? 'grape' : 'gray'} miw="max-content">
          {t(`role.${user.role}`)}
        </Badge>
      </Table.Td>
      <Table.Td style={{ whiteSpace: 'nowrap' }}>
        <Text size="sm" fw={500} title={user.balance_micros === null ? t('auth.unlimited') : undefined}>
          {formatBalance(user.balance_micros, language)}
        </Text>
      </Table.Td>
      <Table.Td>
        <Badge variant="light" color={user.blocked ? 'red' : 'teal'} miw="max-content">
          {user.blocked ? t('adminUsers.statusBlocked') : t('adminUsers.statusActive')}
        </Badge>
      </Table.Td>
      <Table.Td style={{ whiteSpace: 'nowrap' }}>
        <Text size="sm">{formatDate(user.created_at, language)}</Text>
      </Table.Td>
      <Table.Td>
        <Group gap="xs" justify="flex-end" wrap="nowrap">
          {user.balance_micros !== null && (
            <Button size="xs" variant="light" disabled={busy} aria-describedby={nameId} onClick={onCredit}>
              {t('adminUsers.addCredit')}
            </Button>
          )}
          {!self &&
            (user.blocked ? (
              <Button size="xs" variant="default" loading={busy} aria-describedby={nameId} onClick={onUnblock}>
                {t('adminUsers.unblock')}
              </Button>
            ) : (
              <Button size="xs" variant="light" color="red" disabled={busy} aria-describedby={nameId} onClick={onBlock}>
                {t('adminUsers.block')}
              </Button>
            ))}
          {!self && (
            <Button size="xs" variant="subtle" disabled={busy} aria-describedby={nameId} onClick={() => onRole(otherRole)}>
              {otherRole === 'admin' ? t('adminUsers.makeAdmin') : t('adminUsers.makeClient')}
            </Button>
          )}
        </Group>
      </Table.Td>
    </Table.Tr>
  );
}
