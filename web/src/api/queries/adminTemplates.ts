import { mutationOptions, queryOptions, type QueryClient } from '@tanstack/react-query';
import { apiClient } from '@/api/client';
import { catalogKeys, type Template, type TemplateList } from '@/api/queries/catalog';
import type { components } from '@/api/schema.gen';

export type TemplateInput = components['schemas']['TemplateInput'];

export const adminTemplateKeys = {
  all: ['admin', 'templates'] as const,
  list: ['admin', 'templates', 'list'] as const,
};

const templatePath = (id: string) => `/api/admin/templates/${encodeURIComponent(id)}`;

export async function fetchAdminTemplates(signal?: AbortSignal): Promise<Template[]> {
  const response = await apiClient.get<TemplateList>('/api/admin/templates', { signal });
  return response.data.items;
}

/** GET /api/admin/templates: every template, enabled or not, sorted by name. */
export const adminTemplatesQuery = () =>
  queryOptions({
    queryKey: adminTemplateKeys.list,
    queryFn: ({ signal }) => fetchAdminTemplates(signal),
  });

/** The admin list and the catalog users deploy from both change. */
async function templatesChanged(client: QueryClient): Promise<void> {
  await Promise.all([
    client.invalidateQueries({ queryKey: adminTemplateKeys.all }),
    client.invalidateQueries({ queryKey: catalogKeys.all }),
  ]);
}

const byName = (a: Template, b: Template) => a.name.localeCompare(b.name);

// Mutations reject with an ApiError; a `validation_failed` one names the fields (ApiError.fieldErrors).

/** POST /api/admin/templates. */
export const createTemplateMutation = () =>
  mutationOptions({
    mutationKey: ['admin', 'templates', 'create'],
    mutationFn: async (input: TemplateInput) => {
      const response = await apiClient.post<Template>('/api/admin/templates', input);
      return response.data;
    },
    onSuccess: async (template, _input, _result, { client }) => {
      client.setQueryData(adminTemplatesQuery().queryKey, (list) => list && [...list, template].sort(byName));
      await templatesChanged(client);
    },
  });

/** PUT /api/admin/templates/{id}: replaces every field. */
export const replaceTemplateMutation = () =>
  mutationOptions({
    mutationKey: ['admin', 'templates', 'replace'],
    mutationFn: async ({ id, input }: { id: string; input: TemplateInput }) => {
      const response = await apiClient.put<Template>(templatePath(id), input);
      return response.data;
    },
    onSuccess: async (template, _variables, _result, { client }) => {
      client.setQueryData(adminTemplatesQuery().queryKey, (list) =>
        list?.map((t) => (t.id === template.id ? template : t)).sort(byName),
      );
      await templatesChanged(client);
    },
  });

/** DELETE /api/admin/templates/{id}: pods made from it keep running. */
export const deleteTemplateMutation = () =>
  mutationOptions({
    mutationKey: ['admin', 'templates', 'delete'],
    mutationFn: async (id: string) => {
      await apiClient.delete(templatePath(id));
    },
    onSuccess: async (_data, id, _result, { client }) => {
      client.setQueryData(adminTemplatesQuery().queryKey, (list) => list?.filter((t) => t.id !== id));
      await templatesChanged(client);
    },
  });
