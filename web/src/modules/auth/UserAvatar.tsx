import { Avatar, type MantineSize } from '@mantine/core';
import type { User } from '@/api/queries/auth';

/** The Google picture, or the initials of the name when there is none (development sign-in). Decorative. */
export function UserAvatar({ user, size = 'sm' }: { user: Pick<User, 'name' | 'email' | 'avatar_url'>; size?: MantineSize }) {
  return (
    <Avatar
      src={user.avatar_url === '' ? null : user.avatar_url}
      name={user.name === '' ? user.email : user.name}
      color="initials"
      size={size}
      radius="xl"
      alt=""
      aria-hidden
      // Google's picture host refuses some requests that carry a Referer.
      imageProps={{ referrerPolicy: 'no-referrer' }}
    />
  );
}
