import { infiniteQueryOptions, mutationOptions, queryOptions, type InfiniteData, type QueryClient } from '@tanstack/react-query';
import { apiClient } from '@/api/client';
import { auditKeys } from '@/api/queries/adminAudit';
import { authKeys, type User } from '@/api/queries/auth';
import { billingKeys } from '@/api/queries/billing';
import type { components, operations } from '@/api/schema.gen';

type Schemas = components['schemas'];

export type UserPage = Schemas['UserPage'];
export type UserDetail = Schemas['UserDetail'];
export type BalanceChange = Schemas['BalanceChange'];
export type BalanceChangeResponse = operations['adminChangeBalance']['responses'][200]['content']['application/json'];
export type UserEnvelope = Schemas['UserEnvelope'];
export type UserListParams = NonNullable<operations['adminListUsers']['parameters']['query']>;
export type UserSort = NonNullable<UserListParams['sort']>;
export type SortOrder = NonNullable<UserListParams['order']>;

/** What the users table can ask GET /api/admin/users for (the cursor is the infinite query's page param). */
export interface UserFilter {
  search?: string;
  role?: User['role'];
  blocked?: boolean;
  sort?: UserSort;
  order?: SortOrder;
  limit?: number;
}

export const adminUserKeys = {
  all: ['admin', 'users'] as const,
  lists: ['admin', 'users', 'list'] as const,
  list: (filter: UserFilter) => ['admin', 'users', 'list', filter] as const,
  count: ['admin', 'users', 'count'] as const,
  detail: (id: string) => ['admin', 'users', 'detail', id] as const,
};

const userPath = (id: string, rest = '') => `/api/admin/users/${encodeURIComponent(id)}${rest}`;

/** Only the parameters that say something: an empty search is no search. */
function toParams(filter: UserFilter, cursor: string | null): UserListParams {
  const search = filter.search?.trim() ?? '';
  return {
    ...(search !== '' && { search }),
    ...(filter.role !== undefined && { role: filter.role }),
    ...(filter.blocked !== undefined && { blocked: filter.blocked }),
    ...(filter.sort !== undefined && { sort: filter.sort }),
    ...(filter.order !== undefined && { order: filter.order }),
    ...(filter.limit !== undefined && { limit: filter.limit }),
    ...(cursor !== null && { cursor }),
  };
}

export async function fetchUserPage(filter: UserFilter, cursor: string | null, signal?: AbortSignal): Promise<UserPage> {
  const response = await apiClient.get<UserPage>('/api/admin/users', { params: toParams(filter, cursor), signal });
  return response.data;
}

/**
 * GET /api/admin/users: one page after another ("Load more" asks for the next cursor). Every page
 * carries `total`, the users matching the filter over all pages.
 */
export const adminUsersQuery = (filter: UserFilter) =>
  infiniteQueryOptions({
    queryKey: adminUserKeys.list(filter),
    queryFn: ({ pageParam, signal }) => fetchUserPage(filter, pageParam, signal),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor,
  });

/** How many users there are: the `total` of GET /api/admin/users (asking for one user only). */
export const userCountQuery = () =>
  queryOptions({
    queryKey: adminUserKeys.count,
    queryFn: async ({ signal }) => (await fetchUserPage({ limit: 1 }, null, signal)).total,
    staleTime: 60_000,
  });

/**
 * A user signed up (`user.signed_up`, sent to admins): the users' lists and count, and the audit
 * log (which has the sign-up), are refetched where shown.
 */
export async function userSignedUp(client: QueryClient): Promise<void> {
  await Promise.all([
    client.invalidateQueries({ queryKey: adminUserKeys.all }),
    client.invalidateQueries({ queryKey: auditKeys.all }),
  ]);
}

/** GET /api/admin/users/{id}: the user, their sessions and latest ledger entries. */
export const adminUserQuery = (id: string) =>
  queryOptions({
    queryKey: adminUserKeys.detail(id),
    queryFn: async ({ signal }) => {
      const response = await apiClient.get<UserDetail>(userPath(id), { signal });
      return response.data;
    },
  });

/** Puts a changed user in every cached page of the users list, and refreshes `me` when it is the admin. */
export function putUser(client: QueryClient, user: User): void {
  client.setQueriesData<InfiniteData<UserPage, string | null>>({ queryKey: adminUserKeys.lists }, (data) =>
    data === undefined
      ? data
      : {
          ...data,
          pages: data.pages.map((page) => ({
            ...page,
            items: page.items.map((u) => (u.id === user.id ? user : u)),
          })),
        },
  );
}

async function userChanged(client: QueryClient, user: User): Promise<void> {
  putUser(client, user);
  await Promise.all([
    client.invalidateQueries({ queryKey: adminUserKeys.detail(user.id) }),
    client.invalidateQueries({ queryKey: authKeys.me }),
  ]);
}

// Mutations: `useMutation(changeBalanceMutation())`, then `mutate({ id, change })`.

/** POST /api/admin/users/{id}/balance: adds to (or sets) a balance, with the reason for the ledger. */
export const changeBalanceMutation = () =>
  mutationOptions({
    mutationKey: ['admin', 'users', 'balance'],
    mutationFn: async ({ id, change }: { id: string; change: BalanceChange }) => {
      const response = await apiClient.post<BalanceChangeResponse>(userPath(id, '/balance'), change);
      return response.data;
    },
    onSuccess: async (data, _variables, _result, { client }) => {
      await Promise.all([userChanged(client, data.user), client.invalidateQueries({ queryKey: billingKeys.all })]);
    },
  });

/** PUT /api/admin/users/{id}/role: makes a user an admin or a client (never your own admin role). */
export const setRoleMutation = () =>
  mutationOptions({
    mutationKey: ['admin', 'users', 'role'],
    mutationFn: async ({ id, role }: { id: string; role: User['role'] }) => {
      const response = await apiClient.put<UserEnvelope>(userPath(id, '/role'), { role });
      return response.data.user;
    },
    onSuccess: (user, _variables, _result, { client }) => userChanged(client, user),
  });

/** POST /api/admin/users/{id}/block: blocks a user and ends their sessions at once. */
export const blockUserMutation = () =>
  mutationOptions({
    mutationKey: ['admin', 'users', 'block'],
    mutationFn: async (id: string) => {
      const response = await apiClient.post<UserEnvelope>(userPath(id, '/block'));
      return response.data.user;
    },
    onSuccess: (user, _variables, _result, { client }) => userChanged(client, user),
  });

/** POST /api/admin/users/{id}/unblock. */
export const unblockUserMutation = () =>
  mutationOptions({
    mutationKey: ['admin', 'users', 'unblock'],
    mutationFn: async (id: string) => {
      const response = await apiClient.post<UserEnvelope>(userPath(id, '/unblock'));
      return response.data.user;
    },
    onSuccess: (user, _variables, _result, { client }) => userChanged(client, user),
  });
