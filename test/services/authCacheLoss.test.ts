import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, startTestPlatform, type TestPlatform } from '../support/testPlatform.js';

/**
 * A Redis failover can lose the last writes (replication is asynchronous): a session's revocation
 * marker, or the deletion of a stale cached user. After the cache reports such a disruption, a
 * session is checked against the database until every access token issued before it expired.
 */
describe('sessions after the cache may have lost writes', () => {
  let tp: TestPlatform;
  beforeAll(async () => {
    tp = await startTestPlatform('embedded');
  });
  afterAll(() => tp?.close());

  /** Ends the session in the database only: the cache never heard of it (its marker was lost). */
  const revokeInDbOnly = (refreshToken: string) =>
    tp.platform.database.db
      .updateTable('refresh_tokens')
      .set({ revoked_at: '2026-11-30 00:00:00.000', revoke_reason: 'logout' })
      .where('revoked_at', 'is', null)
      .execute()
      .then(() => refreshToken);
  const me = (token: string) => tp.request({ method: 'GET', url: '/api/auth/me', token });

  it('a session revoked while its marker was lost is refused once the cache reports the disruption', async () => {
    const { accessToken, refreshToken } = await tp.login('admin', ADMIN_PASSWORD);
    expect((await me(accessToken)).status).toBe(200); // the principal is now cached
    await revokeInDbOnly(refreshToken);
    // without a disruption the cache is trusted (the marker is written with every revocation)
    expect((await me(accessToken)).status).toBe(200);
    const cache = tp.platform.cache as { disruptedAt: () => number | null };
    const original = cache.disruptedAt;
    cache.disruptedAt = () => Date.now() - 1_000;
    try {
      const refused = await me(accessToken);
      expect(refused.status).toBe(401);
      expect(refused.body.error.details).toMatchObject({ reason: 'revoked' });
      // a user disabled while the deletion of its cached principal was lost is refused too
      const second = await tp.login('admin', ADMIN_PASSWORD);
      await tp.platform.database.db.updateTable('users').set({ status: 'disabled' }).where('username', '=', 'admin').execute();
      expect((await me(second.accessToken)).status).toBe(401);
      await tp.platform.database.db.updateTable('users').set({ status: 'active' }).where('username', '=', 'admin').execute();
    } finally {
      cache.disruptedAt = original;
    }
  });
});
