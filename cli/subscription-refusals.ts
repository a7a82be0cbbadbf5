import type { Bus } from '../streams/bus.js';
import type { Logger } from '../state/logger.js';

export type RefusedSubscription = Readonly<{ subject: string; error: string }>;

export type SubscriptionRefusals = Readonly<{
  /** The core subscriptions the server refused since the watch started, oldest first. */
  refused(): readonly RefusedSubscription[];
  /** A readiness probe (`/readyz` as `subscriptions`): fails, naming each refused subject and why, once any was refused. */
  probe(): Promise<void>;
  stop(): void;
}>;

/**
 * Watches a process's bus for core subscriptions the NATS server refused (`subscription-refused`:
 * its login may not subscribe there, e.g. an engine run as the desk user): each is said as an
 * error line naming the subject and the login, and fails `/readyz` from then on, since the
 * process no longer hears what comes there (an operator's halt on `sx.ctl.>`, model events, …).
 * Start it before the process subscribes. `connection` names the link (the NATS client name).
 *
 * @example const refusals = watchSubscriptionRefusals(bus, log, 'sextant'); // probes: { subscriptions: refusals.probe }
 */
export function watchSubscriptionRefusals(bus: Pick<Bus, 'onStatus'>, log: Logger, connection: string): SubscriptionRefusals {
  const refused: RefusedSubscription[] = [];
  const sub = bus.onStatus((s) => {
    if (s.type !== 'subscription-refused') return;
    refused.push({ subject: s.subject, error: s.error });
    log.error({ connection, subject: s.subject, err: s.error }, `NATS refused the subscription to ${s.subject}: nothing sent there reaches this process`);
  });
  return {
    refused: () => [...refused],
    probe: async () => {
      if (refused.length > 0) throw new Error(`subscriptions refused by NATS: ${refused.map((r) => r.error).join('; ')}`);
    },
    stop: () => sub.unsubscribe(),
  };
}
