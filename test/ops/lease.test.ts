import { describe, expect, it } from 'vitest';
import type { Clock } from '../../src/infra/clock.js';
import { HOLDER as LEASE_HOLDER } from '../../src/ops/holder.js';
import { acquireLease, claimOnce, leaseHolder } from '../../src/ops/lease.js';
import { BACKENDS, startTestPlatform } from '../support/testPlatform.js';

/** The renewable lease a long-lived leader holds (renew, lose, release), beside the one-shot claim. */
describe.each(BACKENDS)('leases (%s)', (backend) => {
  it('a leader renews its lease past the TTL, learns when it is lost, and frees it on release; claims and leases name one holder', async () => {
    let now = new Date('2026-11-30T02:00:00Z');
    const clock: Clock = { now: () => now };
    const tp = await startTestPlatform(backend, { clock });
    try {
      const { database } = tp.platform;
      const lease = await acquireLease(database, clock, 'leader:test', 'the test leader', 15);
      expect(lease.holder.startsWith(`${LEASE_HOLDER}:`)).toBe(true);
      expect(await claimOnce(database, clock, 'claim:test', 60)).toBe(true);
      const claim = await database.db.selectFrom('ops_locks').select('holder').where('name', '=', 'claim:test').executeTakeFirstOrThrow();
      expect(claim.holder).toBe(LEASE_HOLDER);

      // renewed: 10 s later another contender still meets the holder, and after another 10 s too
      now = new Date(now.getTime() + 10_000);
      expect(await lease.renew()).toBe(true);
      now = new Date(now.getTime() + 10_000);
      await expect(acquireLease(database, clock, 'leader:test', 'the test leader', 15)).rejects.toMatchObject({ code: 'CONFLICT' });
      expect(await leaseHolder(database, clock, 'leader:test')).toBe(lease.holder);

      // not renewed past its expiry: another contender takes it, and the first learns it lost it
      now = new Date(now.getTime() + 20_000);
      const next = await acquireLease(database, clock, 'leader:test', 'the test leader', 15);
      expect(await lease.renew()).toBe(false);
      await lease.lost;
      expect(lease.held()).toBe(false);
      expect(await leaseHolder(database, clock, 'leader:test')).toBe(next.holder);
      await lease.release(); // releasing a lost lease leaves the new holder's alone
      expect(await leaseHolder(database, clock, 'leader:test')).toBe(next.holder);

      await next.release();
      expect(next.held()).toBe(false);
      expect(await leaseHolder(database, clock, 'leader:test')).toBeUndefined();
      const again = await acquireLease(database, clock, 'leader:test', 'the test leader', 15);
      await again.release();
    } finally {
      await tp.close();
    }
  });
});
