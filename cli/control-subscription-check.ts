import type { CoreSubscriber } from '../streams/bus.js';
import { SubscriptionRefusedError } from '../streams/errors.js';
import type { Subjects } from '../streams/subjects.js';

/**
 * Refuses to start an engine whose NATS login may not subscribe to the control subjects
 * (`<prefix>.ctl.>`): it would trade on while no operator's halt, resume or reduce reached it
 * (`sextant ctl halt` would only say "no responder"). Subscribes there once, waits for the
 * server's answer and lets go, before anything is consumed; rejects with a
 * {@link SubscriptionRefusedError} naming the subject and the user. A bus that cannot refuse
 * (in-process) passes at once.
 *
 * @example await checkControlSubscription(adapters.bus, subjectsFor(cfg.prefix))
 */
export async function checkControlSubscription(bus: CoreSubscriber, subjects: Subjects): Promise<void> {
  const subject = `${subjects.control('')}>`;
  const probe = bus.subscribe(subject, () => {});
  try {
    await probe.accepted?.();
  } catch (e) {
    if (!(e instanceof SubscriptionRefusedError)) throw e;
    throw new SubscriptionRefusedError(e.subject, e.user, `the engine cannot be controlled, so it does not start (an engine that cannot be halted must not trade): ${e.message}`, { cause: e });
  } finally {
    probe.unsubscribe();
  }
}
