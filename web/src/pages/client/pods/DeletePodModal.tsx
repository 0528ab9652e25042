import { Button, Group, Modal, Stack, Text } from '@mantine/core';
import type { Pod } from '@/api/queries/pods';
import { useI18n } from '@/i18n/context';

interface Props {
  /** The pod to confirm the deletion of; null: closed. */
  pod: Pod | null;
  deleting: boolean;
  onCancel: () => void;
  onConfirm: (pod: Pod) => void;
}

/** Deleting cannot be undone: it is confirmed in a dialog (Escape or Cancel closes it, focus stays inside). */
export function DeletePodModal({ pod, deleting, onCancel, onConfirm }: Props) {
  const { t } = useI18n();
  return (
    <Modal
      opened={pod !== null}
      onClose={() => {
        if (!deleting) {
          onCancel();
        }
      }}
      title={pod === null ? '' : t('pods.delete.title', { name: pod.name })}
      centered
    >
      <Stack gap="lg">
        <Text size="sm">{t('pods.delete.body')}</Text>
        <Group justify="flex-end">
          <Button variant="default" onClick={onCancel} disabled={deleting} data-autofocus>
            {t('pods.cancel')}
          </Button>
          <Button color="red" loading={deleting} onClick={() => pod !== null && onConfirm(pod)}>
            {t('pods.delete.confirm')}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
