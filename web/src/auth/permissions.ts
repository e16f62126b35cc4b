/** Permission gating in the console (the server enforces the same permissions on every request). */
export interface HasPermissions {
  permissions: readonly string[];
}

export function can(user: HasPermissions | null | undefined, permission: string | undefined): boolean {
  if (permission === undefined) return true;
  return !!user && user.permissions.includes(permission);
}

/** The entries a user may see: those without a permission, and those whose permission they hold. */
export function visibleFor<P extends { permission?: string }>(entries: readonly P[], user: HasPermissions | null | undefined): P[] {
  return entries.filter((e) => can(user, e.permission));
}
