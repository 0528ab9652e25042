import { Button, Group, Modal, NumberInput, SegmentedControl, Stack, Text, Textarea } from '@mantine/core';
import { useMutation } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { asApiError } from '@/api/apiError';
import type { User } from '@/api/queries/auth';
import { changeBalanceMutation, type BalanceChange } from '@/api/queries/adminUsers';
import { fieldErrorMap, unplacedErrors } from '@/components/admin/fieldErrors';
import { ErrorState } from '@/components/ErrorState';
import { useI18n } from '@/i18n/context';
import { formatMoney, MICROS_PER_EURO } from '@/i18n/format';

interface Props {
  /** The user whose balance changes; null: closed. */
  user: User | null;
  onClose: () => void;
  onDone: (user: User) => void;
}

/** Adds credit to (or sets) a client's balance, with the reason that goes into their ledger. */
export function BalanceModal({ user, onClose, onDone }: Props) {
  const { t } = useI18n();
  return (
    <Modal
      opened={user !== null}
      onClose={onClose}
      title={user === null ? '' : t('adminUsers.credit.title', { email: user.email })}
      centered
    >
      {/* Remounted per user: a fresh form each time. */}
      {user !== null && <BalanceForm key={user.id} user={user} onClose={onClose} onDone={onDone} />}
    </Modal>
  );
}

type Mode = BalanceChange['mode'];

const REASON_MIN = 3;

function BalanceForm({ user, onClose, onDone }: { user: User; onClose: () => void; onDone: (user: User) => void }) {
  const { t, language } = useI18n();
  const change = useMutation(changeBalanceMutation());
  const [mode, setMode] = useState<Mode>('add');
  const [amount, setAmount] = useState<number | string>('');
  const [reason, setReason] = useState('');
  const [local, setLocal] = useState<{ amount?: string; reason?: string }>({});
  const server = fieldErrorMap(change.error);
  const balance = user.balance_micros ?? 0;
  const micros = typeof amount === 'number' ? Math.round(amount * MICROS_PER_EURO) : null;
  const after = micros === null ? null : mode === 'add' ? balance + micros : micros;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const errors: { amount?: string; reason?: string } = {};
    if (micros === null || (mode === 'add' && micros === 0)) {
      errors.amount = t('adminUsers.credit.amountRequired');
    } else if (mode === 'set' && micros < 0) {
      errors.amount = t('adminUsers.credit.amountNegative');
    }
    if (reason.trim().length < REASON_MIN) {
      errors.reason = t('adminUsers.credit.reasonRequired');
    }
    setLocal(errors);
    if (Object.keys(errors).length > 0 || micros === null) {
      return;
    }
    change.mutate(
      { id: user.id, change: { mode, amount_micros: micros, reason: reason.trim() } },
      { onSuccess: (data) => onDone(data.user) },
    );
  };

  const others = unplacedErrors(server, (f) => f === 'amount_micros' || f === 'reason');
  return (
    <form onSubmit={submit} noValidate>
      <Stack gap="md">
        <Text size="sm">{t('adminUsers.credit.current', { amount: formatMoney(balance, language) })}</Text>
        <SegmentedControl
          aria-label={t('adminUsers.credit.mode')}
          value={mode}
          onChange={(v) => setMode(v as Mode)}
          data={[
            { value: 'add', label: t('adminUsers.credit.modeAdd') },
            { value: 'set', label: t('adminUsers.credit.modeSet') },
          ]}
        />
        <NumberInput
          label={mode === 'add' ? t('adminUsers.credit.amountAdd') : t('adminUsers.credit.amountSet')}
          description={mode === 'add' ? t('adminUsers.credit.amountAddHint') : undefined}
          value={amount}
          onChange={setAmount}
          decimalScale={2}
          step={1}
          allowNegative={mode === 'add'}
          prefix="€ "
          withAsterisk
          error={local.amount ?? server.amount_micros}
          data-autofocus
        />
        <Textarea
          label={t('adminUsers.credit.reason')}
          description={t('adminUsers.credit.reasonHint')}
          value={reason}
          onChange={(e) => setReason(e.currentTarget.value)}
          maxLength={500}
          rows={2}
          withAsterisk
          error={local.reason ?? server.reason}
        />
        {after !== null && (
          <Text size="sm" c="dimmed" aria-live="polite">
            {t('adminUsers.credit.after', { amount: formatMoney(after, language) })}
          </Text>
        )}
        {change.error !== null && (others.length > 0 || Object.keys(server).length === 0) && (
          <ErrorState error={asApiError(change.error)} />
        )}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose} disabled={change.isPending}>
            {t('admin.cancel')}
          </Button>
          <Button type="submit" loading={change.isPending}>
            {mode === 'add' ? t('adminUsers.credit.submitAdd') : t('adminUsers.credit.submitSet')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
