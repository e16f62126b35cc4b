import type { Bus, Subscription } from '../../infra/bus/bus.js';
import { acquireLease, type Lease } from '../../ops/lease.js';
import { deliverNotification, type DeliveryDeps } from '../../services/support/delivery.js';
import { DELIVER_TOPIC, DELIVERY_QUEUE, escalateDue, relayDue, type EscalationDeps } from '../../services/support/relay.js';
import type { RunningRole } from './role.js';

export interface RelayRoleDeps {
  bus: Bus;
  delivery: DeliveryDeps;
  escalation: EscalationDeps;
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
  /** Milliseconds between relay passes (MCP_NOTIFY_RELAY_INTERVAL_MS, default 250). */
  intervalMs: number;
  /** Milliseconds between escalation checks (default 5 s). */
  escalateEveryMs?: number;
}

/**
 * The relay role (issue 11 item 3): every replica running it consumes `notify.delivery` and
 * delivers; the one holding the lease `notify:relay` also publishes due outbox rows to the bus and
 * escalates unacknowledged critical alerts. Another replica takes over within the lease's TTL
 * when the holder dies.
 */
export async function startRelayRole(deps: RelayRoleDeps): Promise<RunningRole> {
  const { database, clock } = deps.delivery;
  let stopping = false;
  let consumer: Subscription | undefined;
  let lease: Lease | undefined;
  let timer: NodeJS.Timeout | undefined;
  let lastEscalation = 0;
  let wasLeader = false;

  const subscribe = async () => {
    consumer = await deps.bus.subscribe(
      DELIVERY_QUEUE,
      [DELIVER_TOPIC],
      async (message) => {
        const id = (message.payload as { id?: unknown }).id;
        if (typeof id === 'number' && Number.isInteger(id)) await deliverNotification(deps.delivery, id);
      },
      { maxAttempts: 5, prefetch: 32 },
    );
  };

  const tick = async () => {
    if (!consumer) await subscribe().catch((e: unknown) => deps.log.warn({ err: (e as Error).message }, 'notification delivery: cannot subscribe yet; retrying'));
    if (!lease?.held()) {
      lease = await acquireLease(database, clock, 'notify:relay', 'the notification relay').catch(() => undefined);
      if (lease && !wasLeader) deps.log.info({ holder: lease.holder }, 'notification relay: this process relays the outbox');
      wasLeader = Boolean(lease);
    }
    if (!lease?.held()) return;
    await relayDue({ database, clock, bus: deps.bus, log: deps.log });
    const now = Date.now();
    if (now - lastEscalation >= (deps.escalateEveryMs ?? 5_000)) {
      lastEscalation = now;
      await escalateDue(deps.escalation);
    }
  };

  let running: Promise<void> = Promise.resolve();
  const loop = () => {
    if (stopping) return;
    running = tick()
      .catch((e: unknown) => deps.log.warn({ err: (e as Error).message }, 'notification relay pass failed; retrying'))
      .finally(() => {
        if (!stopping) timer = setTimeout(loop, deps.intervalMs);
      });
  };
  loop();

  let ended!: () => void;
  const done = new Promise<void>((resolve) => (ended = resolve));
  return {
    name: 'relay',
    done,
    async stop() {
      if (stopping) return done;
      stopping = true;
      clearTimeout(timer);
      await running;
      await consumer?.cancel();
      await lease?.release().catch(() => undefined);
      ended();
      return done;
    },
  };
}
