import {
  ActionIcon,
  Alert,
  Badge,
  Button,
  Card,
  Fieldset,
  Group,
  List,
  NumberInput,
  Radio,
  Select,
  SimpleGrid,
  Stack,
  Text,
  TextInput,
} from '@mantine/core';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useId, useState, type FormEvent } from 'react';
import { ApiError, asApiError } from '@/api/apiError';
import { customPricePerHour, pricingQuery, templatesQuery, type Pricing, type Template } from '@/api/queries/catalog';
import { deployPodMutation, type DeployRequest } from '@/api/queries/pods';
import { errorMessage } from '@/components/ErrorState';
import { QueryState } from '@/components/QueryState';
import { useI18n } from '@/i18n/context';
import type { Translate } from '@/i18n/messages';
import { formatMoney } from '@/i18n/format';

/** The radio value of the custom-image choice (template ids are 24 hex digits: no clash). */
const CUSTOM = 'custom';
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const MAX_NAME = 64;

interface PortRow {
  key: number;
  port: number | '';
  name: string;
  protocol: 'http' | 'tcp';
}

interface EnvRow {
  key: number;
  name: string;
  value: string;
}

/** A pod name from an image reference: `ghcr.io/ana/my_api:1.2` -> `my-api`. */
export function nameFromImage(image: string): string {
  const last = image.trim().split('@')[0]!.split('/').pop() ?? '';
  const base = last.split(':')[0] ?? '';
  return base
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, MAX_NAME);
}

type FieldErrors = Partial<Record<string, string>>;

/** Checks what the browser can check; the server checks again (and answers 400 with fields). */
function validate(
  state: { name: string; custom: boolean; image: string; tier: string | null; ports: PortRow[]; env: EnvRow[] },
  t: Translate,
): FieldErrors {
  const errors: FieldErrors = {};
  if (state.name.trim() === '') {
    errors.name = t('deploy.error.nameRequired');
  } else if (state.name.trim().length > MAX_NAME) {
    errors.name = t('deploy.error.nameTooLong', { max: MAX_NAME });
  }
  if (!state.custom) {
    return errors;
  }
  if (state.image.trim() === '') {
    errors.image = t('deploy.error.imageRequired');
  } else if (/\s/.test(state.image.trim())) {
    errors.image = t('deploy.error.imageInvalid');
  }
  if (state.tier === null) {
    errors.tier = t('deploy.error.tierRequired');
  }
  const seen = new Set<number>();
  state.ports.forEach((row, index) => {
    if (row.port === '' || !Number.isInteger(row.port) || row.port < 1 || row.port > 65535) {
      errors[`ports[${index}].port`] = t('deploy.error.portRange');
    } else if (seen.has(row.port)) {
      errors[`ports[${index}].port`] = t('deploy.error.portDuplicate');
    } else {
      seen.add(row.port);
    }
  });
  state.env.forEach((row, index) => {
    if (!ENV_NAME.test(row.name)) {
      errors[`env[${index}].name`] = t('deploy.error.envName');
    }
  });
  return errors;
}

/** The server's field errors (`validation_failed`) by field, e.g. `image` or `ports[0].port`. */
function serverFieldErrors(error: unknown): FieldErrors {
  if (!(error instanceof ApiError)) {
    return {};
  }
  return Object.fromEntries(error.fieldErrors.map((f) => [f.field, f.message]));
}

interface Props {
  /** Called with the new pod's id once the server accepted it. */
  onDeployed?: (podId: string) => void;
}

/**
 * Deploys a pod: one of the templates, or any Docker image with a resource tier, GPUs, ports and
 * environment variables. The price per hour is shown before deploying. POST /api/pods.
 */
export function DeployForm({ onDeployed }: Props) {
  const templates = useQuery(templatesQuery());
  const pricing = useQuery(pricingQuery());

  return (
    <QueryState query={pricing}>
      {(prices) => (
        <QueryState query={templates}>
          {(items) => <DeployFormReady templates={items} pricing={prices} onDeployed={onDeployed} />}
        </QueryState>
      )}
    </QueryState>
  );
}

function DeployFormReady({
  templates,
  pricing,
  onDeployed,
}: {
  templates: Template[];
  pricing: Pricing;
  onDeployed?: (podId: string) => void;
}) {
  const { t, language } = useI18n();
  const deploy = useMutation(deployPodMutation());
  const [choice, setChoice] = useState<string>(templates[0]?.id ?? CUSTOM);
  const [name, setName] = useState(templates[0]?.slug ?? '');
  const [nameEdited, setNameEdited] = useState(false);
  const [image, setImage] = useState('');
  const [tier, setTier] = useState<string | null>(pricing.tiers[0]?.id ?? null);
  const [gpus, setGpus] = useState(0);
  const [ports, setPorts] = useState<PortRow[]>([{ key: 0, port: 8080, name: '', protocol: 'http' }]);
  const [env, setEnv] = useState<EnvRow[]>([]);
  const [nextKey, setNextKey] = useState(1);
  const [errors, setErrors] = useState<FieldErrors>({});
  const priceId = useId();
  const chooseId = useId();

  const custom = choice === CUSTOM;
  const template = templates.find((tpl) => tpl.id === choice);
  const price = custom ? (tier === null ? undefined : customPricePerHour(pricing, tier, gpus)) : template?.price_per_hour_micros;
  const shownErrors = { ...serverFieldErrors(deploy.error), ...errors };

  const choose = (value: string) => {
    setChoice(value);
    setErrors({});
    deploy.reset();
    if (!nameEdited) {
      setName(value === CUSTOM ? nameFromImage(image) : (templates.find((tpl) => tpl.id === value)?.slug ?? ''));
    }
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    deploy.reset();
    const found = validate({ name, custom, image, tier, ports, env }, t);
    setErrors(found);
    if (Object.keys(found).length > 0) {
      return;
    }
    const body: DeployRequest = custom
      ? {
          name: name.trim(),
          image: image.trim(),
          ...(tier !== null && { tier }),
          ...(gpus > 0 && { gpus }),
          ports: ports.map((p) => ({ port: Number(p.port), protocol: p.protocol, ...(p.name.trim() !== '' && { name: p.name.trim() }) })),
          env: env.map((e) => ({ name: e.name, value: e.value })),
        }
      : { name: name.trim(), template_id: choice };
    deploy.mutate(body, { onSuccess: (pod) => onDeployed?.(pod.id) });
  };

  const failure = deploy.error === null ? undefined : asApiError(deploy.error);
  const unmatched = failure?.fieldErrors.filter((f) => !(f.field in fieldLabels)) ?? [];

  return (
    <form onSubmit={submit} noValidate aria-label={t('deploy.form')}>
      <Stack gap="lg">
        <Radio.Group
          value={choice}
          onChange={choose}
          label={t('deploy.choose')}
          description={t('deploy.chooseHint')}
          // Mantine names neither the group nor its radiogroup: the wrapper is named by the label.
          role="group"
          aria-labelledby={chooseId}
          labelProps={{ id: chooseId }}
        >
          <SimpleGrid cols={{ base: 1, sm: 2, lg: 3 }} spacing="sm" mt="xs">
            {templates.map((tpl) => (
              <TemplateCard key={tpl.id} template={tpl} checked={choice === tpl.id} />
            ))}
            <Radio.Card value={CUSTOM} radius="md" p="md" aria-label={t('deploy.custom')} h="100%">
              <Group wrap="nowrap" align="flex-start">
                <Radio.Indicator />
                <Stack gap={4}>
                  <Text fw={600}>{t('deploy.custom')}</Text>
                  <Text size="sm" c="dimmed">
                    {t('deploy.customHint')}
                  </Text>
                </Stack>
              </Group>
            </Radio.Card>
          </SimpleGrid>
        </Radio.Group>
        {templates.length === 0 && (
          <Text size="sm" c="dimmed">
            {t('deploy.noTemplates')}
          </Text>
        )}

        <TextInput
          label={t('deploy.name')}
          description={t('deploy.nameHint')}
          value={name}
          maxLength={MAX_NAME}
          required
          error={shownErrors.name}
          onChange={(event) => {
            setName(event.currentTarget.value);
            setNameEdited(true);
          }}
        />

        {custom && (
          <CustomImageFields
            pricing={pricing}
            image={image}
            onImage={(value) => {
              setImage(value);
              if (!nameEdited) {
                setName(nameFromImage(value));
              }
            }}
            tier={tier}
            onTier={setTier}
            gpus={gpus}
            onGpus={setGpus}
            ports={ports}
            onPorts={setPorts}
            env={env}
            onEnv={setEnv}
            newKey={() => {
              setNextKey((k) => k + 1);
              return nextKey;
            }}
            errors={shownErrors}
          />
        )}

        <Card withBorder radius="md" padding="md" component="section" aria-labelledby={priceId}>
          <Group justify="space-between" align="center" wrap="wrap" gap="sm">
            <Stack gap={2}>
              <Text size="sm" c="dimmed" id={priceId}>
                {t('deploy.price')}
              </Text>
              <Text fw={700} size="xl" aria-live="polite" data-testid="deploy-price">
                {price === undefined ? '—' : t('pods.perHour', { amount: formatMoney(price, language) })}
              </Text>
              <Text size="xs" c="dimmed">
                {t('deploy.priceHint', { minutes: pricing.min_runway_minutes, idle: pricing.idle_timeout_minutes })}
              </Text>
            </Stack>
            <Button type="submit" size="md" loading={deploy.isPending}>
              {t('deploy.submit')}
            </Button>
          </Group>
        </Card>

        {failure !== undefined && (
          <Alert color="red" variant="light" title={t('deploy.failed')} role="alert">
            <Stack gap={4}>
              <Text size="sm">{errorMessage(failure, t)}</Text>
              {unmatched.length > 0 && (
                <List size="sm">
                  {unmatched.map((f) => (
                    <List.Item key={f.field}>
                      <Text span ff="monospace" size="sm">
                        {f.field}
                      </Text>
                      : {f.message}
                    </List.Item>
                  ))}
                </List>
              )}
              {failure.requestId !== undefined && (
                <Text size="xs" c="dimmed" ff="monospace">
                  {t('error.requestId', { id: failure.requestId })}
                </Text>
              )}
            </Stack>
          </Alert>
        )}
      </Stack>
    </form>
  );
}

/** Fields the form shows its own error under; other field errors are listed in the alert. */
const fieldLabels: Record<string, true> = { name: true, image: true, tier: true, gpus: true };

function TemplateCard({ template, checked }: { template: Template; checked: boolean }) {
  const { t, language } = useI18n();
  const { resources } = template;
  return (
    <Radio.Card value={template.id} radius="md" p="md" aria-label={template.name} h="100%" checked={checked}>
      <Group wrap="nowrap" align="flex-start">
        <Radio.Indicator />
        <Stack gap={4} style={{ minWidth: 0 }}>
          <Group gap="xs">
            <Text fw={600}>{template.name}</Text>
            {template.category !== '' && (
              <Badge size="xs" variant="light">
                {template.category}
              </Badge>
            )}
          </Group>
          {template.description !== '' && (
            <Text size="sm" c="dimmed" lineClamp={3}>
              {template.description}
            </Text>
          )}
          <Text size="xs" c="dimmed">
            {t('deploy.resources', { cpu: resources.cpu, memory: resources.memory })}
            {(resources.gpus ?? 0) > 0 && ` · ${t('deploy.gpuCount', { count: resources.gpus ?? 0 })}`}
          </Text>
          <Text fw={700} size="sm">
            {t('pods.perHour', { amount: formatMoney(template.price_per_hour_micros, language) })}
          </Text>
        </Stack>
      </Group>
    </Radio.Card>
  );
}

interface CustomProps {
  pricing: Pricing;
  image: string;
  onImage: (value: string) => void;
  tier: string | null;
  onTier: (value: string | null) => void;
  gpus: number;
  onGpus: (value: number) => void;
  ports: PortRow[];
  onPorts: (rows: PortRow[]) => void;
  env: EnvRow[];
  onEnv: (rows: EnvRow[]) => void;
  newKey: () => number;
  errors: FieldErrors;
}

function CustomImageFields({ pricing, image, onImage, tier, onTier, gpus, onGpus, ports, onPorts, env, onEnv, newKey, errors }: CustomProps) {
  const { t, language } = useI18n();
  const setPort = (key: number, change: Partial<PortRow>) => onPorts(ports.map((p) => (p.key === key ? { ...p, ...change } : p)));
  const setEnv = (key: number, change: Partial<EnvRow>) => onEnv(env.map((e) => (e.key === key ? { ...e, ...change } : e)));

  return (
    <Stack gap="md">
      <TextInput
        label={t('deploy.image')}
        description={t('deploy.imageHint')}
        placeholder="nginx:1.27"
        value={image}
        required
        error={errors.image}
        onChange={(event) => onImage(event.currentTarget.value)}
        styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
      />
      <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="md">
        <Select
          label={t('deploy.tier')}
          value={tier}
          onChange={onTier}
          allowDeselect={false}
          required
          error={errors.tier}
          data={pricing.tiers.map((tr) => ({
            value: tr.id,
            label: t('deploy.tierOption', {
              name: tr.name,
              cpu: tr.cpu,
              memory: tr.memory,
              price: formatMoney(tr.price_per_hour_micros, language),
            }),
          }))}
        />
        <NumberInput
          label={t('deploy.gpus')}
          description={t('deploy.gpusHint', { price: formatMoney(pricing.gpu_price_per_hour_micros, language) })}
          value={gpus}
          min={0}
          max={16}
          allowDecimal={false}
          allowNegative={false}
          clampBehavior="strict"
          error={errors.gpus}
          onChange={(value) => onGpus(typeof value === 'number' ? value : 0)}
        />
      </SimpleGrid>

      <Fieldset legend={t('deploy.ports')} radius="md">
        <Stack gap="xs">
          <Text size="xs" c="dimmed">
            {t('deploy.portsHint', { domain: pricing.base_domain })}
          </Text>
          {ports.map((row, index) => (
            <Group key={row.key} align="flex-start" gap="xs" wrap="wrap">
              <NumberInput
                label={t('deploy.port', { n: index + 1 })}
                value={row.port}
                min={1}
                max={65535}
                allowDecimal={false}
                allowNegative={false}
                w={120}
                error={errors[`ports[${index}].port`]}
                onChange={(value) => setPort(row.key, { port: typeof value === 'number' ? value : '' })}
              />
              <TextInput
                label={t('deploy.portName', { n: index + 1 })}
                value={row.name}
                maxLength={32}
                w={160}
                error={errors[`ports[${index}].name`]}
                onChange={(event) => setPort(row.key, { name: event.currentTarget.value })}
              />
              <Select
                label={t('deploy.portProtocol', { n: index + 1 })}
                value={row.protocol}
                allowDeselect={false}
                w={110}
                data={[
                  { value: 'http', label: 'HTTP' },
                  { value: 'tcp', label: 'TCP' },
                ]}
                onChange={(value) => setPort(row.key, { protocol: value === 'tcp' ? 'tcp' : 'http' })}
              />
              <ActionIcon
                variant="subtle"
                color="red"
                mt={26}
                size="lg"
                aria-label={t('deploy.removePort', { n: index + 1 })}
                onClick={() => onPorts(ports.filter((p) => p.key !== row.key))}
              >
                ×
              </ActionIcon>
            </Group>
          ))}
          <Group>
            <Button
              variant="light"
              size="xs"
              disabled={ports.length >= 16}
              onClick={() => onPorts([...ports, { key: newKey(), port: '', name: '', protocol: 'http' }])}
            >
              {t('deploy.addPort')}
            </Button>
          </Group>
        </Stack>
      </Fieldset>

      <Fieldset legend={t('deploy.env')} radius="md">
        <Stack gap="xs">
          {env.length === 0 && (
            <Text size="xs" c="dimmed">
              {t('deploy.envEmpty')}
            </Text>
          )}
          {env.map((row, index) => (
            <Group key={row.key} align="flex-start" gap="xs" wrap="wrap">
              <TextInput
                label={t('deploy.envName', { n: index + 1 })}
                value={row.name}
                maxLength={128}
                w={200}
                error={errors[`env[${index}].name`]}
                onChange={(event) => setEnv(row.key, { name: event.currentTarget.value })}
                styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
              />
              <TextInput
                label={t('deploy.envValue', { n: index + 1 })}
                value={row.value}
                maxLength={8192}
                style={{ flex: 1, minWidth: 160 }}
                error={errors[`env[${index}].value`]}
                onChange={(event) => setEnv(row.key, { value: event.currentTarget.value })}
              />
              <ActionIcon
                variant="subtle"
                color="red"
                mt={26}
                size="lg"
                aria-label={t('deploy.removeEnv', { n: index + 1 })}
                onClick={() => onEnv(env.filter((e) => e.key !== row.key))}
              >
                ×
              </ActionIcon>
            </Group>
          ))}
          <Group>
            <Button
              variant="light"
              size="xs"
              disabled={env.length >= 64}
              onClick={() => onEnv([...env, { key: newKey(), name: '', value: '' }])}
            >
              {t('deploy.addEnv')}
            </Button>
          </Group>
        </Stack>
      </Fieldset>
      <Text size="xs" c="dimmed">
        {t('deploy.workspaceHint')}
      </Text>
    </Stack>
  );
}
