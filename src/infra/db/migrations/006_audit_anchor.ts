import type { Kysely } from 'kysely';

/**
 * The audit chain's head gets its own key MAC (SPEC SEC-3): `head_mac` is an HMAC under the audit
 * key over `last_seq` and `last_hash`, so a head rewritten without the key (a deleted tail with
 * the new last hash copied in) no longer verifies. The key lives outside the database, so this
 * migration cannot compute it: `prepareSchema` keys the head once, right after applying it.
 */
export function auditAnchor() {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('audit_chain').addColumn('head_mac', 'char(64)').execute();
    },
  };
}
