import { Select } from '@mantine/core';
import { useInfiniteQuery } from '@tanstack/react-query';
import { adminUsersQuery } from '@/api/queries/adminUsers';

interface Props {
  label: string;
  placeholder: string;
  /** The chosen user's id, or null for everyone. */
  value: string | null;
  onChange: (userId: string | null) => void;
  /** When the list of users cannot be loaded. */
  unavailableText: string;
}

/** Picks a user by email or name (the first 200 users, sorted by email); clearing it means everyone. */
export function UserSelect({ label, placeholder, value, onChange, unavailableText }: Props) {
  const users = useInfiniteQuery(adminUsersQuery({ sort: 'email', order: 'asc', limit: 200 }));
  const data = (users.data?.pages[0]?.items ?? []).map((u) => ({
    value: u.id,
    label: u.name === '' ? u.email : `${u.email} (${u.name})`,
  }));
  return (
    <Select
      label={label}
      placeholder={placeholder}
      data={data}
      value={value}
      onChange={onChange}
      searchable
      clearable
      nothingFoundMessage={users.isError ? unavailableText : undefined}
      error={users.isError ? unavailableText : undefined}
    />
  );
}
