import { conflict, notFound } from '../../errors/appError.js';
import type { Database } from '../../infra/db/database.js';
import { systemActor, type Actor } from '../actor.js';
import { generatePassword } from '../auth/passwords.js';
import type { UserService } from './contract.js';

/**
 * Administrator accounts from the shell (SPEC PLAT-8): the first start's `admin`, `admin create`
 * and `admin reset-password`. A generated password is one-time: it must be changed at first login.
 * The password is returned to the caller to show once; it is never logged.
 */
export interface IssuedPassword {
  username: string;
  password: string;
  oneTime: boolean;
}

/** Creates `admin` when the database has no user yet. */
export async function ensureFirstAdmin(deps: { database: Database; users: UserService }, presetPassword?: string): Promise<IssuedPassword | undefined> {
  const any = await deps.database.db.selectFrom('users').select('id').limit(1).executeTakeFirst();
  if (any) return undefined;
  return createAdmin(deps, 'admin', presetPassword, systemActor);
}

export async function createAdmin(deps: { users: UserService }, username: string, presetPassword: string | undefined, actor: Actor = systemActor): Promise<IssuedPassword> {
  const password = presetPassword ?? generatePassword();
  const oneTime = presetPassword === undefined;
  if (await deps.users.findByUsername(username)) throw conflict(`user "${username}" already exists; use admin reset-password`);
  await deps.users.create(actor, {
    username,
    email: `${username}@localhost`,
    password,
    displayName: '平台管理员',
    roles: ['admin'],
    mustChangePassword: oneTime,
  });
  return { username: username.toLowerCase(), password, oneTime };
}

/** Sets a new password (generated one-time unless given), unlocks the account and ends its sessions. */
export async function resetPassword(deps: { users: UserService }, username: string, presetPassword: string | undefined, actor: Actor = systemActor): Promise<IssuedPassword> {
  const user = await deps.users.findByUsername(username);
  if (!user) throw notFound(`user "${username}"`);
  const password = presetPassword ?? generatePassword();
  const oneTime = presetPassword === undefined;
  await deps.users.update(actor, user.id, { password, mustChangePassword: oneTime, status: 'active' });
  return { username: user.username, password, oneTime };
}
