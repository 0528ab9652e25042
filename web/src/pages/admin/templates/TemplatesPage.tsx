import { Badge, Button, Group, Modal, Stack, Table, Text, Title, VisuallyHidden } from '@mantine/core';
import { useMediaQuery } from '@mantine/hooks';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { asApiError } from '@/api/apiError';
import type { Template } from '@/api/queries/catalog';
import {
  adminTemplatesQuery,
  createTemplateMutation,
  deleteTemplateMutation,
  replaceTemplateMutation,
  type TemplateInput,
} from '@/api/queries/adminTemplates';
import { ConfirmDialog } from '@/components/admin/ConfirmDialog';
import { fieldErrorMap } from '@/components/admin/fieldErrors';
import { ErrorState } from '@/components/ErrorState';
import { QueryState } from '@/components/QueryState';
import { useI18n } from '@/i18n/context';
import { formatMoney } from '@/i18n/format';
import { TemplateForm } from '@/pages/admin/templates/TemplateForm';

/** Which template the editor is open for: a new one, an existing one, or none. */
type Editing = { template: Template | null } | null;

/** /admin/templates: every template (enabled or not); create, edit and delete them. */
export function TemplatesPage() {
  const { t } = useI18n();
  const templates = useQuery(adminTemplatesQuery());
  const create = useMutation(createTemplateMutation());
  const replace = useMutation(replaceTemplateMutation());
  const remove = useMutation(deleteTemplateMutation());
  const [editing, setEditing] = useState<Editing>(null);
  const [deleting, setDeleting] = useState<Template | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const phone = useMediaQuery('(max-width: 48em)');

  const save = editing?.template === null ? create : replace;
  const open = (template: Template | null) => {
    create.reset();
    replace.reset();
    setNotice(null);
    setEditing({ template });
  };
  const submit = (input: TemplateInput) => {
    const done = (saved: Template) => {
      setEditing(null);
      setNotice(t('adminTemplates.saved', { name: saved.name }));
    };
    if (editing?.template) {
      replace.mutate({ id: editing.template.id, input }, { onSuccess: done });
    } else {
      create.mutate(input, { onSuccess: done });
    }
  };
  const saveErrors = fieldErrorMap(save.error);

  return (
    <Stack gap="lg" maw={1200} mx="auto" py="xl">
      <Group justify="space-between" align="flex-end">
        <Stack gap={4}>
          <Title order={1}>{t('adminTemplates.title')}</Title>
          <Text c="dimmed">{t('adminTemplates.description')}</Text>
        </Stack>
        <Button onClick={() => open(null)}>{t('adminTemplates.new')}</Button>
      </Group>

      {notice !== null && (
        <Text role="status" c="teal" size="sm">
          {notice}
        </Text>
      )}

      <QueryState
        query={templates}
        isEmpty={(items) => items.length === 0}
        empty={
          <Text c="dimmed" ta="center" py="xl">
            {t('adminTemplates.empty')}
          </Text>
        }
      >
        {(items) => (
          <Table.ScrollContainer minWidth={860} type="native">
            <Table verticalSpacing="sm" highlightOnHover>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{t('adminTemplates.name')}</Table.Th>
                  <Table.Th>{t('adminTemplates.image')}</Table.Th>
                  <Table.Th>{t('adminTemplates.resources')}</Table.Th>
                  <Table.Th>{t('adminTemplates.price')}</Table.Th>
                  <Table.Th>{t('adminTemplates.state')}</Table.Th>
                  <Table.Th>
                    <VisuallyHidden>{t('adminTemplates.actions')}</VisuallyHidden>
                  </Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {items.map((template) => (
                  <TemplateRow
                    key={template.id}
                    template={template}
                    onEdit={() => open(template)}
                    onDelete={() => {
                      remove.reset();
                      setNotice(null);
                      setDeleting(template);
                    }}
                  />
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </QueryState>

      <Modal
        opened={editing !== null}
        onClose={() => {
          if (!save.isPending) {
            setEditing(null);
          }
        }}
        title={editing?.template ? t('adminTemplates.editTitle', { name: editing.template.name }) : t('adminTemplates.new')}
        size="xl"
        fullScreen={phone}
      >
        {editing !== null && (
          <Stack gap="md">
            {save.error !== null && Object.keys(saveErrors).length === 0 && <ErrorState error={asApiError(save.error)} />}
            <TemplateForm
              key={editing.template?.id ?? 'new'}
              template={editing.template}
              errors={saveErrors}
              saving={save.isPending}
              onSubmit={submit}
              onCancel={() => setEditing(null)}
            />
          </Stack>
        )}
      </Modal>

      <ConfirmDialog
        opened={deleting !== null}
        title={deleting === null ? '' : t('adminTemplates.delete.title', { name: deleting.name })}
        body={t('adminTemplates.delete.body')}
        confirmLabel={t('adminTemplates.delete.confirm')}
        cancelLabel={t('admin.cancel')}
        busy={remove.isPending}
        error={remove.error === null ? null : asApiError(remove.error)}
        onCancel={() => setDeleting(null)}
        onConfirm={() =>
          deleting !== null &&
          remove.mutate(deleting.id, {
            onSuccess: () => {
              setNotice(t('adminTemplates.deleted', { name: deleting.name }));
              setDeleting(null);
            },
          })
        }
      />
    </Stack>
  );
}

function TemplateRow({ template, onEdit, onDelete }: { template: Template; onEdit: () => void; onDelete: () => void }) {
  const { t, language } = useI18n();
  const nameId = useId();
  const r = template.resources;
  return (
    <Table.Tr>
      <Table.Td>
        <Text fw={600} id={nameId}>
          {template.name}
        </Text>
        <Text size="xs" c="dimmed" ff="monospace">
          {template.slug}
        </Text>
      </Table.Td>
      <Table.Td maw={300}>
        <Text size="xs" ff="monospace" style={{ overflowWrap: 'anywhere' }}>
          {template.image}
        </Text>
      </Table.Td>
      <Table.Td>
        <Text size="sm">
          {t('adminTemplates.resourcesValue', { cpu: r.cpu, memory: r.memory })}
          {(r.gpus ?? 0) > 0 && ` · ${t('adminTemplates.gpusValue', { count: r.gpus ?? 0 })}`}
        </Text>
      </Table.Td>
      <Table.Td>
        <Text size="sm">{t('adminTemplates.perHour', { amount: formatMoney(template.price_per_hour_micros, language) })}</Text>
      </Table.Td>
      <Table.Td>
        <Badge variant="light" color={template.enabled ? 'teal' : 'gray'}>
          {template.enabled ? t('adminTemplates.stateEnabled') : t('adminTemplates.stateDisabled')}
        </Badge>
      </Table.Td>
      <Table.Td>
        <Group gap="xs" justify="flex-end" wrap="nowrap">
          <Button size="xs" variant="default" aria-describedby={nameId} onClick={onEdit}>
            {t('adminTemplates.edit')}
          </Button>
          <Button size="xs" variant="light" color="red" aria-describedby={nameId} onClick={onDelete}>
            {t('adminTemplates.delete')}
          </Button>
        </Group>
      </Table.Td>
    </Table.Tr>
  );
}
