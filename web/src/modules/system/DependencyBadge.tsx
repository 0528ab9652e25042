import { Badge } from '@mantine/core';
import type { DependencyStatus } from '@/api/queries/system';
import { useI18n } from '@/i18n/context';

const COLORS = { ok: 'teal', down: 'red', not_configured: 'gray' } as const satisfies Record<
  DependencyStatus['status'],
  string
>;

export function DependencyBadge({ status }: { status: DependencyStatus['status'] }) {
  const { t } = useI18n();
  return (
    <Badge color={COLORS[status]} variant="light" radius="sm">
      {t(`dependency.${status}`)}
    </Badge>
  );
}
