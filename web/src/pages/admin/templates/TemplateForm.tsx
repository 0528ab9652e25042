import { Alert, Button, Group, NativeSelect, NumberInput, SimpleGrid, Stack, Switch, Text, Textarea, TextInput, Title } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import type { Template } from '@/api/queries/catalog';
import type { TemplateInput } from '@/api/queries/adminTemplates';
import { unplacedErrors, type FieldErrorMap } from '@/components/admin/fieldErrors';
import { useI18n } from '@/i18n/context';
import { MICROS_PER_EURO } from '@/i18n/format';

interface PortRow {
  port: number | string;
  name: string;
  protocol: 'http' | 'tcp';
}

interface EnvRow {
  name: string;
  value: string;
}

interface Values {
  name: string;
  slug: string;
  description: string;
  category: string;
  icon: string;
  image: string;
  cpu: string;
  memory: string;
  gpus: number | string;
  storage: string;
  price: number | string;
  workspacePath: string;
  enabled: boolean;
  ports: PortRow[];
  env: EnvRow[];
  command: string;
  args: string;
}

function toValues(t: Template | null): Values {
  return {
    name: t?.name ?? '',
    slug: t?.slug ?? '',
    description: t?.description ?? '',
    category: t?.category ?? '',
    icon: t?.icon ?? '',
    image: t?.image ?? '',
    cpu: t?.resources.cpu ?? '1',
    memory: t?.resources.memory ?? '2Gi',
    gpus: t?.resources.gpus ?? 0,
    storage: t?.resources.ephemeral_storage ?? '',
    price: t === null ? '' : t.price_per_hour_micros / MICROS_PER_EURO,
    workspacePath: t?.workspace_path ?? '/workspace',
    enabled: t?.enabled ?? true,
    ports: (t?.ports ?? []).map((p) => ({ port: p.port, name: p.name ?? '', protocol: p.protocol ?? 'http' })),
    env: (t?.env ?? []).map((e) => ({ name: e.name, value: e.value ?? '' })),
    command: (t?.command ?? []).join('\n'),
    args: (t?.args ?? []).join('\n'),
  };
}

const lines = (text: string) => text.split('\n').filter((l) => l.trim() !== '');

/** What is sent: every field (PUT replaces the whole template). Empty optional texts are left out. */
export function toInput(v: Values): TemplateInput {
  const number = (x: number | string) => (x === '' ? NaN : Number(x));
  return {
    name: v.name.trim(),
    slug: v.slug.trim(),
    description: v.description.trim(),
    category: v.category.trim(),
    icon: v.icon.trim(),
    image: v.image.trim(),
    resources: {
      cpu: v.cpu.trim(),
      memory: v.memory.trim(),
      gpus: number(v.gpus),
      ...(v.storage.trim() !== '' && { ephemeral_storage: v.storage.trim() }),
    },
    price_per_hour_micros: Math.round(number(v.price) * MICROS_PER_EURO),
    workspace_path: v.workspacePath.trim(),
    enabled: v.enabled,
    ports: v.ports.map((p) => ({ port: number(p.port), protocol: p.protocol, ...(p.name.trim() !== '' && { name: p.name.trim() }) })),
    env: v.env.map((e) => ({ name: e.name.trim(), value: e.value })),
    command: lines(v.command),
    args: lines(v.args),
  };
}

const PLACED =
  /^(name|slug|description|category|icon|image|resources(\.(cpu|memory|gpus|ephemeral_storage))?|price_per_hour_micros|workspace_path|enabled|command(\[\d+\])?|args(\[\d+\])?|ports\[\d+\]\.(port|name|protocol)|env\[\d+\]\.(name|value))$/;

interface Props {
  /** null: a new template. */
  template: Template | null;
  errors: FieldErrorMap;
  saving: boolean;
  onSubmit: (input: TemplateInput) => void;
  onCancel: () => void;
}

/** Every field of a template; the server validates, and its messages show on the fields they name. */
export function TemplateForm({ template, errors, saving, onSubmit, onCancel }: Props) {
  const { t } = useI18n();
  const [v, setV] = useState<Values>(() => toValues(template));
  const [missing, setMissing] = useState<Record<string, string>>({});
  const set = <K extends keyof Values>(key: K, value: Values[K]) => setV((old) => ({ ...old, [key]: value }));
  const setPort = (i: number, change: Partial<PortRow>) => set('ports', v.ports.map((p, j) => (j === i ? { ...p, ...change } : p)));
  const setEnv = (i: number, change: Partial<EnvRow>) => set('env', v.env.map((e, j) => (j === i ? { ...e, ...change } : e)));
  const err = (field: string) => missing[field] ?? errors[field];

  const submit = (event: FormEvent) => {
    event.preventDefault();
    // Only what is plainly missing is checked here; the server checks the rest.
    const found: Record<string, string> = {};
    for (const [field, value] of [
      ['name', v.name],
      ['slug', v.slug],
      ['image', v.image],
    ] as const) {
      if (value.trim() === '') {
        found[field] = t('adminTemplates.required');
      }
    }
    if (v.price === '') {
      found.price_per_hour_micros = t('adminTemplates.required');
    }
    setMissing(found);
    if (Object.keys(found).length === 0) {
      onSubmit(toInput(v));
    }
  };
  const others = unplacedErrors(errors, (f) => PLACED.test(f));

  return (
    <form onSubmit={submit} noValidate aria-label={template === null ? t('adminTemplates.new') : t('adminTemplates.editTitle', { name: template.name })}>
      <Stack gap="md">
        <SimpleGrid cols={{ base: 1, sm: 2 }}>
          <TextInput label={t('adminTemplates.name')} withAsterisk value={v.name} onChange={(e) => set('name', e.currentTarget.value)} error={err('name')} data-autofocus />
          <TextInput
            label={t('adminTemplates.slug')}
            description={t('adminTemplates.slugHint')}
            withAsterisk
            value={v.slug}
            onChange={(e) => set('slug', e.currentTarget.value)}
            error={err('slug')}
          />
          <TextInput label={t('adminTemplates.category')} value={v.category} onChange={(e) => set('category', e.currentTarget.value)} error={err('category')} />
          <TextInput label={t('adminTemplates.icon')} value={v.icon} onChange={(e) => set('icon', e.currentTarget.value)} error={err('icon')} />
        </SimpleGrid>
        <Textarea label={t('adminTemplates.descriptionField')} rows={2} value={v.description} onChange={(e) => set('description', e.currentTarget.value)} error={err('description')} />
        <TextInput
          label={t('adminTemplates.image')}
          description={t('adminTemplates.imageHint')}
          withAsterisk
          value={v.image}
          onChange={(e) => set('image', e.currentTarget.value)}
          error={err('image')}
          ff="monospace"
        />
        <SimpleGrid cols={{ base: 2, sm: 4 }}>
          <TextInput label={t('adminTemplates.cpu')} value={v.cpu} onChange={(e) => set('cpu', e.currentTarget.value)} error={err('resources.cpu')} />
          <TextInput label={t('adminTemplates.memory')} value={v.memory} onChange={(e) => set('memory', e.currentTarget.value)} error={err('resources.memory')} />
          <NumberInput label={t('adminTemplates.gpus')} value={v.gpus} onChange={(x) => set('gpus', x)} min={0} max={16} allowDecimal={false} error={err('resources.gpus')} />
          <TextInput label={t('adminTemplates.storage')} value={v.storage} onChange={(e) => set('storage', e.currentTarget.value)} error={err('resources.ephemeral_storage')} />
        </SimpleGrid>
        <SimpleGrid cols={{ base: 1, sm: 2 }}>
          <NumberInput
            label={t('adminTemplates.price')}
            withAsterisk
            value={v.price}
            onChange={(x) => set('price', x)}
            decimalScale={4}
            min={0}
            allowNegative={false}
            prefix="€ "
            error={err('price_per_hour_micros')}
          />
          <TextInput label={t('adminTemplates.workspacePath')} value={v.workspacePath} onChange={(e) => set('workspacePath', e.currentTarget.value)} error={err('workspace_path')} />
        </SimpleGrid>

        <Stack gap="xs" component="fieldset" m={0} p={0} miw={0} style={{ border: 0 }}>
          <Title order={3} size="h5" component="legend">
            {t('adminTemplates.ports')}
          </Title>
          {v.ports.length === 0 && (
            <Text size="sm" c="dimmed">
              {t('adminTemplates.noPorts')}
            </Text>
          )}
          {v.ports.map((p, i) => (
            <Group key={i} align="flex-start" gap="xs" wrap="wrap">
              <NumberInput w={110} aria-label={t('adminTemplates.portOf', { n: i + 1 })} value={p.port} onChange={(x) => setPort(i, { port: x })} min={1} max={65535} allowDecimal={false} error={err(`ports[${i}].port`)} />
              <TextInput w={140} aria-label={t('adminTemplates.portNameOf', { n: i + 1 })} placeholder={t('adminTemplates.portName')} value={p.name} onChange={(e) => setPort(i, { name: e.currentTarget.value })} error={err(`ports[${i}].name`)} />
              <NativeSelect
                w={100}
                aria-label={t('adminTemplates.portProtocolOf', { n: i + 1 })}
                value={p.protocol}
                onChange={(e) => setPort(i, { protocol: e.currentTarget.value as PortRow['protocol'] })}
                data={['http', 'tcp']}
                error={err(`ports[${i}].protocol`)}
              />
              <Button variant="subtle" color="red" onClick={() => set('ports', v.ports.filter((_, j) => j !== i))}>
                {t('adminTemplates.removePort', { n: i + 1 })}
              </Button>
            </Group>
          ))}
          <Group>
            <Button size="xs" variant="default" disabled={v.ports.length >= 16} onClick={() => set('ports', [...v.ports, { port: 8080, name: '', protocol: 'http' }])}>
              {t('adminTemplates.addPort')}
            </Button>
          </Group>
        </Stack>

        <Stack gap="xs" component="fieldset" m={0} p={0} miw={0} style={{ border: 0 }}>
          <Title order={3} size="h5" component="legend">
            {t('adminTemplates.env')}
          </Title>
          {v.env.map((e, i) => (
            <Group key={i} align="flex-start" gap="xs" wrap="wrap">
              <TextInput w={200} aria-label={t('adminTemplates.envNameOf', { n: i + 1 })} value={e.name} onChange={(ev) => setEnv(i, { name: ev.currentTarget.value })} error={err(`env[${i}].name`)} ff="monospace" />
              <TextInput style={{ flex: 1, minWidth: 160 }} aria-label={t('adminTemplates.envValueOf', { n: i + 1 })} value={e.value} onChange={(ev) => setEnv(i, { value: ev.currentTarget.value })} error={err(`env[${i}].value`)} ff="monospace" />
              <Button variant="subtle" color="red" onClick={() => set('env', v.env.filter((_, j) => j !== i))}>
                {t('adminTemplates.removeEnv', { n: i + 1 })}
              </Button>
            </Group>
          ))}
          <Group>
            <Button size="xs" variant="default" disabled={v.env.length >= 64} onClick={() => set('env', [...v.env, { name: '', value: '' }])}>
              {t('adminTemplates.addEnv')}
            </Button>
          </Group>
        </Stack>

        <SimpleGrid cols={{ base: 1, sm: 2 }}>
          <Textarea label={t('adminTemplates.command')} description={t('adminTemplates.linesHint')} rows={2} ff="monospace" value={v.command} onChange={(e) => set('command', e.currentTarget.value)} error={err('command') ?? Object.entries(errors).find(([k]) => k.startsWith('command['))?.[1]} />
          <Textarea label={t('adminTemplates.args')} description={t('adminTemplates.linesHint')} rows={2} ff="monospace" value={v.args} onChange={(e) => set('args', e.currentTarget.value)} error={err('args') ?? Object.entries(errors).find(([k]) => k.startsWith('args['))?.[1]} />
        </SimpleGrid>
        <Switch label={t('adminTemplates.enabled')} description={t('adminTemplates.enabledHint')} checked={v.enabled} onChange={(e) => set('enabled', e.currentTarget.checked)} />

        {Object.keys(errors).length > 0 && (
          <Alert color="red" role="alert" title={t('adminTemplates.invalid')}>
            {others.length > 0 && (
              <Stack gap={2} component="ul" m={0} pl="md">
                {others.map((line) => (
                  <li key={line}>{line}</li>
                ))}
              </Stack>
            )}
          </Alert>
        )}
        <Group justify="flex-end">
          <Button variant="default" onClick={onCancel} disabled={saving}>
            {t('admin.cancel')}
          </Button>
          <Button type="submit" loading={saving}>
            {template === null ? t('adminTemplates.create') : t('adminTemplates.saveChanges')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
