import { Badge } from '@mantine/core';
import type { PodStatus } from '@/api/queries/pods';
import { useI18n } from '@/i18n/context';

const COLORS = {
  pending: 'gray',
  creating: 'blue',
  running: 'teal',
  stopping: 'orange',
  stopped: 'gray',
  failed: 'red',
} as const satisfies Record<PodStatus, string>;

/** A pod's status in words and colour; the transitional ones (pending, creating, stopping) are outlined. */
export function PodStatusBadge({ status }: { status: PodStatus }) {
  const { t } = useI18n();
  const transitional = status === 'pending' || status === 'creating' || status === 'stopping';
  return (
    <Badge color={COLORS[status]} variant={transitional ? 'outline' : 'light'} radius="sm">
      {t(`podStatus.${status}`)}
    </Badge>
  );
}
