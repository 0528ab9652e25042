import { Alert, Button, Card, Group, NumberInput, SimpleGrid, Stack, Switch, Table, Text, TextInput, Title, VisuallyHidden } from '@mantine/core';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { asApiError } from '@/api/apiError';
import { adminSettingsQuery, saveSettingsMutation, type Settings } from '@/api/queries/adminSettings';
import { fieldErrorMap, unplacedErrors } from '@/components/admin/fieldErrors';
import { ErrorState } from '@/components/ErrorState';
import { QueryState } from '@/components/QueryState';
import { useI18n } from '@/i18n/context';
import { MICROS_PER_EURO } from '@/i18n/format';

/** /admin/settings: prices per tier and per GPU, credit, warnings, limits, idle stop, storage and domain. */
export function SettingsPage() {
  const { t } = useI18n();
  const settings = useQuery(adminSettingsQuery());
  return (
    <Stack gap="lg" maw={1000} mx="auto" py="xl">
      <Stack gap={4}>
        <Title order={1}>{t('adminSettings.title')}</Title>
        <Text c="dimmed">{t('adminSettings.description')}</Text>
      </Stack>
      <QueryState query={settings}>{(data) => <SettingsForm initial={data} />}</QueryState>
    </Stack>
  );
}

type Money = number | string;

/** The form's values: money in euros as typed, warnings as "60, 10". */
interface Form {
  tiers: { id: string; name: string; cpu: string; memory: string; price: Money }[];
  gpuPrice: Money;
  initialBalance: Money;
  warnings: string;
  minRunway: number | string;
  maxPods: number | string;
  idleTimeout: number | string;
  allowKeepRunning: boolean;
  workspaceSize: string;
  storageClass: string;
  baseDomain: string;
}

const euros = (micros: number) => micros / MICROS_PER_EURO;
const micros = (value: Money) => Math.round(Number(value === '' ? NaN : value) * MICROS_PER_EURO);
const integer = (value: number | string) => (value === '' ? NaN : Math.trunc(Number(value)));

function toForm(s: Settings): Form {
  return {
    tiers: s.tiers.map((tier) => ({ id: tier.id, name: tier.name, cpu: tier.cpu, memory: tier.memory, price: euros(tier.price_per_hour_micros) })),
    gpuPrice: euros(s.gpu_price_per_hour_micros),
    initialBalance: euros(s.initial_balance_micros),
    warnings: s.low_balance_warning_minutes.join(', '),
    minRunway: s.min_runway_minutes,
    maxPods: s.max_running_pods_per_user,
    idleTimeout: s.idle_timeout_minutes,
    allowKeepRunning: s.allow_keep_running,
    workspaceSize: s.workspace_size,
    storageClass: s.workspace_storage_class ?? '',
    baseDomain: s.base_domain,
  };
}

/** The warnings as minutes, or undefined when the text is not a list of whole numbers. */
export function parseWarnings(text: string): number[] | undefined {
  const parts = text.split(/[,\s]+/).filter((p) => p !== '');
  if (!parts.every((p) => /^\d+$/.test(p))) {
    return undefined;
  }
  return parts.map(Number);
}

function toSettings(f: Form, warnings: number[]): Settings {
  return {
    tiers: f.tiers.map((tier) => ({
      id: tier.id.trim(),
      name: tier.name.trim(),
      cpu: tier.cpu.trim(),
      memory: tier.memory.trim(),
      price_per_hour_micros: micros(tier.price),
    })),
    gpu_price_per_hour_micros: micros(f.gpuPrice),
    initial_balance_micros: micros(f.initialBalance),
    low_balance_warning_minutes: warnings,
    min_runway_minutes: integer(f.minRunway),
    max_running_pods_per_user: integer(f.maxPods),
    workspace_size: f.workspaceSize.trim(),
    workspace_storage_class: f.storageClass.trim(),
    idle_timeout_minutes: integer(f.idleTimeout),
    allow_keep_running: f.allowKeepRunning,
    base_domain: f.baseDomain.trim(),
  };
}

const PLACED = /^(tiers(\[\d+\](\.(id|name|cpu|memory|price_per_hour_micros))?)?|gpu_price_per_hour_micros|initial_balance_micros|low_balance_warning_minutes(\[\d+\])?|min_runway_minutes|max_running_pods_per_user|workspace_size|workspace_storage_class|idle_timeout_minutes|allow_keep_running|base_domain)$/;

function SettingsForm({ initial }: { initial: Settings }) {
  const { t } = useI18n();
  const save = useMutation(saveSettingsMutation());
  const [form, setForm] = useState<Form>(() => toForm(initial));
  const [warningsError, setWarningsError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const errors = fieldErrorMap(save.error);
  const set = <K extends keyof Form>(key: K, value: Form[K]) => {
    setSaved(false);
    setForm((f) => ({ ...f, [key]: value }));
  };
  const setTier = (index: number, change: Partial<Form['tiers'][number]>) => {
    setSaved(false);
    setForm((f) => ({ ...f, tiers: f.tiers.map((tier, i) => (i === index ? { ...tier, ...change } : tier)) }));
  };
  const warningsServerError =
    errors.low_balance_warning_minutes ?? Object.entries(errors).find(([k]) => k.startsWith('low_balance_warning_minutes['))?.[1];

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const warnings = parseWarnings(form.warnings);
    if (warnings === undefined) {
      setWarningsError(t('adminSettings.warningsInvalid'));
      return;
    }
    setWarningsError(null);
    save.mutate(toSettings(form, warnings), { onSuccess: () => setSaved(true) });
  };

  const others = unplacedErrors(errors, (field) => PLACED.test(field));
  const tierError = (index: number, field: string) => errors[`tiers[${index}].${field}`];

  return (
    <form onSubmit={submit} noValidate aria-label={t('adminSettings.title')}>
      <Stack gap="lg">
        <Card withBorder radius="md" component="fieldset" m={0} miw={0}>
          <Title order={2} size="h4" component="legend" px={4}>
            {t('adminSettings.prices')}
          </Title>
          <Text size="sm" c="dimmed" mb="sm">
            {t('adminSettings.pricesHint')}
          </Text>
          {(errors.tiers !== undefined || errors['tiers[0]'] !== undefined) && (
            <Text c="red" size="sm" role="alert">
              {errors.tiers ?? errors['tiers[0]']}
            </Text>
          )}
          <Table.ScrollContainer minWidth={760} type="native">
            <Table verticalSpacing="xs">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{t('adminSettings.tier.id')}</Table.Th>
                  <Table.Th>{t('adminSettings.tier.name')}</Table.Th>
                  <Table.Th>{t('adminSettings.tier.cpu')}</Table.Th>
                  <Table.Th>{t('adminSettings.tier.memory')}</Table.Th>
                  <Table.Th>{t('adminSettings.tier.price')}</Table.Th>
                  <Table.Th>
                    <VisuallyHidden>{t('adminSettings.tier.actions')}</VisuallyHidden>
                  </Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {form.tiers.map((tier, index) => {
                  const n = index + 1;
                  return (
                    <Table.Tr key={index}>
                      <Table.Td>
                        <TextInput aria-label={t('adminSettings.tier.idOf', { n })} value={tier.id} onChange={(e) => setTier(index, { id: e.currentTarget.value })} error={tierError(index, 'id')} />
                      </Table.Td>
                      <Table.Td>
                        <TextInput aria-label={t('adminSettings.tier.nameOf', { n })} value={tier.name} onChange={(e) => setTier(index, { name: e.currentTarget.value })} error={tierError(index, 'name')} />
                      </Table.Td>
                      <Table.Td>
                        <TextInput aria-label={t('adminSettings.tier.cpuOf', { n })} value={tier.cpu} onChange={(e) => setTier(index, { cpu: e.currentTarget.value })} error={tierError(index, 'cpu')} w={90} />
                      </Table.Td>
                      <Table.Td>
                        <TextInput aria-label={t('adminSettings.tier.memoryOf', { n })} value={tier.memory} onChange={(e) => setTier(index, { memory: e.currentTarget.value })} error={tierError(index, 'memory')} w={100} />
                      </Table.Td>
                      <Table.Td>
                        <NumberInput
                          aria-label={t('adminSettings.tier.priceOf', { n })}
                          value={tier.price}
                          onChange={(v) => setTier(index, { price: v })}
                          decimalScale={4}
                          min={0}
                          allowNegative={false}
                          prefix="€ "
                          error={tierError(index, 'price_per_hour_micros')}
                          w={130}
                        />
                      </Table.Td>
                      <Table.Td>
                        <Button
                          size="xs"
                          variant="subtle"
                          color="red"
                          disabled={form.tiers.length <= 1}
                          onClick={() => set('tiers', form.tiers.filter((_, i) => i !== index))}
                        >
                          {t('adminSettings.tier.remove', { n })}
                        </Button>
                      </Table.Td>
                    </Table.Tr>
                  );
                })}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
          <Group mt="sm">
            <Button
              variant="default"
              size="xs"
              disabled={form.tiers.length >= 20}
              onClick={() => set('tiers', [...form.tiers, { id: '', name: '', cpu: '1', memory: '2Gi', price: 0 }])}
            >
              {t('adminSettings.tier.add')}
            </Button>
          </Group>
          <NumberInput
            mt="md"
            maw={260}
            label={t('adminSettings.gpuPrice')}
            description={t('adminSettings.gpuPriceHint')}
            value={form.gpuPrice}
            onChange={(v) => set('gpuPrice', v)}
            decimalScale={4}
            min={0}
            allowNegative={false}
            prefix="€ "
            error={errors.gpu_price_per_hour_micros}
          />
        </Card>

        <Card withBorder radius="md" component="fieldset" m={0} miw={0}>
          <Title order={2} size="h4" component="legend" px={4}>
            {t('adminSettings.credit')}
          </Title>
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            <NumberInput
              label={t('adminSettings.initialBalance')}
              description={t('adminSettings.initialBalanceHint')}
              value={form.initialBalance}
              onChange={(v) => set('initialBalance', v)}
              decimalScale={2}
              min={0}
              allowNegative={false}
              prefix="€ "
              error={errors.initial_balance_micros}
            />
            <TextInput
              label={t('adminSettings.warnings')}
              description={t('adminSettings.warningsHint')}
              value={form.warnings}
              onChange={(e) => set('warnings', e.currentTarget.value)}
              error={warningsError ?? warningsServerError}
            />
            <NumberInput
              label={t('adminSettings.minRunway')}
              description={t('adminSettings.minRunwayHint')}
              value={form.minRunway}
              onChange={(v) => set('minRunway', v)}
              allowDecimal={false}
              min={0}
              error={errors.min_runway_minutes}
            />
            <NumberInput
              label={t('adminSettings.maxPods')}
              description={t('adminSettings.maxPodsHint')}
              value={form.maxPods}
              onChange={(v) => set('maxPods', v)}
              allowDecimal={false}
              min={1}
              error={errors.max_running_pods_per_user}
            />
          </SimpleGrid>
        </Card>

        <Card withBorder radius="md" component="fieldset" m={0} miw={0}>
          <Title order={2} size="h4" component="legend" px={4}>
            {t('adminSettings.idle')}
          </Title>
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            <NumberInput
              label={t('adminSettings.idleTimeout')}
              description={t('adminSettings.idleTimeoutHint')}
              value={form.idleTimeout}
              onChange={(v) => set('idleTimeout', v)}
              allowDecimal={false}
              min={0}
              error={errors.idle_timeout_minutes}
            />
            <Switch
              mt="lg"
              label={t('adminSettings.allowKeepRunning')}
              description={t('adminSettings.allowKeepRunningHint')}
              checked={form.allowKeepRunning}
              onChange={(e) => set('allowKeepRunning', e.currentTarget.checked)}
              error={errors.allow_keep_running}
            />
          </SimpleGrid>
        </Card>

        <Card withBorder radius="md" component="fieldset" m={0} miw={0}>
          <Title order={2} size="h4" component="legend" px={4}>
            {t('adminSettings.storage')}
          </Title>
          <SimpleGrid cols={{ base: 1, sm: 3 }}>
            <TextInput
              label={t('adminSettings.workspaceSize')}
              description={t('adminSettings.workspaceSizeHint')}
              value={form.workspaceSize}
              onChange={(e) => set('workspaceSize', e.currentTarget.value)}
              error={errors.workspace_size}
            />
            <TextInput
              label={t('adminSettings.storageClass')}
              description={t('adminSettings.storageClassHint')}
              value={form.storageClass}
              onChange={(e) => set('storageClass', e.currentTarget.value)}
              error={errors.workspace_storage_class}
            />
            <TextInput
              label={t('adminSettings.baseDomain')}
              description={t('adminSettings.baseDomainHint')}
              value={form.baseDomain}
              onChange={(e) => set('baseDomain', e.currentTarget.value)}
              error={errors.base_domain}
            />
          </SimpleGrid>
        </Card>

        {save.error !== null &&
          (Object.keys(errors).length === 0 ? (
            <ErrorState error={asApiError(save.error)} />
          ) : (
            <Alert color="red" role="alert" title={t('adminSettings.invalid')}>
              {others.length > 0 && (
                <Stack gap={2} component="ul" m={0} pl="md">
                  {others.map((line) => (
                    <li key={line}>{line}</li>
                  ))}
                </Stack>
              )}
            </Alert>
          ))}
        {saved && (
          <Text role="status" c="teal">
            {t('adminSettings.saved')}
          </Text>
        )}
        <Group justify="flex-end">
          <Button type="submit" loading={save.isPending}>
            {t('adminSettings.save')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
