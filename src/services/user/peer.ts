import Type from 'typebox';
import { createPeerClient, type PeerClient, type PeerSpec } from '../../infra/peer/peerCall.js';
import type { Actor as ActorValue } from '../actor.js';
import type { UserService } from './contract.js';

/**
 * What the other modules call on the user module (authentication: a user's credentials, account
 * and roles, a login, a password they chose; a role change or a restore: dropping cached views).
 * In split mode these cross HTTP (see infra/peer/peerCall.ts). No call joins the caller's
 * transaction: a transaction never spans two modules (on SQLite it would deadlock the two
 * processes), so each writes in its own — `setOwnPassword` with its audit row.
 */
export type UserPeer = Pick<UserService, 'credentials' | 'account' | 'roleIdsOf' | 'recordLogin' | 'setOwnPassword' | 'forget' | 'ids'> & {
  /** Over HTTP only: throws at once while the module's circuit is open (a login then does no bookkeeping first). */
  ensureAvailable?(): void;
};

const Id = Type.Integer({ minimum: 1, maximum: 2147483647 });
const Username = Type.String({ minLength: 1, maxLength: 64 });
const Iso = Type.String({ format: 'date-time', maxLength: 40 });
const Actor = Type.Object(
  { actorId: Type.Union([Id, Type.Null()]), actor: Type.String({ minLength: 1, maxLength: 64 }), ip: Type.Union([Type.String({ maxLength: 64 }), Type.Null()]) },
  { additionalProperties: false },
);

export const userPeerSpec: PeerSpec<UserService> = {
  module: 'user',
  methods: {
    credentials: { idempotent: true, args: Type.Tuple([Username]), serve: (s, [username]: [string]) => s.credentials(username) },
    account: { idempotent: true, args: Type.Tuple([Id]), serve: (s, [id]: [number]) => s.account(id) },
    roleIdsOf: { idempotent: true, args: Type.Tuple([Id]), serve: (s, [id]: [number]) => s.roleIdsOf(id) },
    recordLogin: { idempotent: true, args: Type.Tuple([Id, Iso]), serve: (s, [id, at]: [number, string]) => s.recordLogin(id, new Date(at)) },
    // not retried: a second attempt would write a second audit row
    setOwnPassword: {
      idempotent: false,
      args: Type.Tuple([Id, Type.String({ minLength: 20, maxLength: 512 }), Actor]),
      serve: (s, [id, hash, actor]: [number, string, ActorValue]) => s.setOwnPassword(id, hash, actor),
    },
    forget: { idempotent: true, args: Type.Array(Id, { maxItems: 100_000 }), serve: (s, ids: number[]) => s.forget(...ids) },
    ids: { idempotent: true, args: Type.Tuple([]), serve: (s) => s.ids() },
  },
};

/** The user module over HTTP, for a process that does not serve it. */
export function remoteUsers(client: PeerClient): UserPeer {
  return {
    credentials: (username) => client.call('credentials', [username]),
    account: (id) => client.call('account', [id]),
    roleIdsOf: (id) => client.call('roleIdsOf', [id]),
    recordLogin: (id, at) => client.call('recordLogin', [id, at.toISOString()]),
    setOwnPassword: (id, hash, actor) => client.call('setOwnPassword', [id, hash, actor]),
    forget: async (...ids) => {
      if (ids.length) await client.call('forget', ids);
    },
    ids: () => client.call('ids', []),
    ensureAvailable: () => client.ensureAvailable(),
  };
}

export const userPeerClient = (o: Omit<Parameters<typeof createPeerClient>[0], 'spec'>) => createPeerClient({ ...o, spec: userPeerSpec });
