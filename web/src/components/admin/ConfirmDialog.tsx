import { Button, Group, Modal, Stack, Text } from '@mantine/core';
import type { ReactNode } from 'react';
import type { ApiError } from '@/api/apiError';
import { ErrorState } from '@/components/ErrorState';

interface Props {
  opened: boolean;
  title: string;
  body: ReactNode;
  confirmLabel: string;
  cancelLabel: string;
  /** Red for what cannot be undone or takes something away. */
  danger?: boolean;
  busy?: boolean;
  /** Why the last attempt failed, shown inside the dialog. */
  error?: ApiError | null;
  onConfirm: () => void;
  onCancel: () => void;
}

/**
 * Asks before a destructive action. Escape or Cancel closes it (not while the action runs); focus
 * starts on Cancel, so that Enter alone never confirms.
 */
export function ConfirmDialog({ opened, title, body, confirmLabel, cancelLabel, danger = true, busy = false, error, onConfirm, onCancel }: Props) {
  return (
    <Modal
      opened={opened}
      onClose={() => {
        if (!busy) {
          onCancel();
        }
      }}
      title={title}
      centered
    >
      <Stack gap="lg">
        {typeof body === 'string' ? <Text size="sm">{body}</Text> : body}
        {error !== undefined && error !== null && <ErrorState error={error} />}
        <Group justify="flex-end">
          <Button variant="default" onClick={onCancel} disabled={busy} data-autofocus>
            {cancelLabel}
          </Button>
          <Button color={danger ? 'red' : undefined} loading={busy} onClick={onConfirm}>
            {confirmLabel}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
