import Type from 'typebox';
import { createPeerClient, type PeerClient, type PeerSpec } from '../../infra/peer/peerCall.js';
import type { AuthService } from './contract.js';

/**
 * What the other modules call on the auth module: the user module ends a user's sessions (disabled,
 * password reset), clears their failed logins, and drops the principals cached from a changed user.
 * In split mode these cross HTTP (see infra/peer/peerCall.ts); the user module calls them after
 * its own change committed (no transaction spans two modules).
 */
export type AuthPeer = Pick<AuthService, 'revokeSessions' | 'clearLoginFailures' | 'forgetPrincipals'>;

const Id = Type.Integer({ minimum: 1, maximum: 2147483647 });

export const authPeerSpec: PeerSpec<AuthService> = {
  module: 'auth',
  methods: {
    revokeSessions: {
      idempotent: true,
      args: Type.Tuple([Id, Type.String({ minLength: 1, maxLength: 64 })]),
      serve: (s, [id, reason]: [number, string]) => s.revokeSessions(id, reason),
    },
    clearLoginFailures: {
      idempotent: true,
      args: Type.Tuple([Type.String({ minLength: 1, maxLength: 64 })]),
      serve: (s, [username]: [string]) => s.clearLoginFailures(username),
    },
    forgetPrincipals: { idempotent: true, args: Type.Array(Id, { maxItems: 100_000 }), serve: (s, ids: number[]) => s.forgetPrincipals(ids) },
  },
};

/** The auth module over HTTP, for a process that does not serve it. */
export function remoteAuth(client: PeerClient): AuthPeer {
  return {
    revokeSessions: (id, reason) => client.call('revokeSessions', [id, reason]),
    clearLoginFailures: (username) => client.call('clearLoginFailures', [username]),
    forgetPrincipals: async (ids) => {
      if (ids.length) await client.call('forgetPrincipals', [...ids]);
    },
  };
}

export const authPeerClient = (o: Omit<Parameters<typeof createPeerClient>[0], 'spec'>) => createPeerClient({ ...o, spec: authPeerSpec });
