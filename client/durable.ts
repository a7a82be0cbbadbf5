import { AckPolicy, DeliverPolicy, JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import type { JetStreamManager } from '@nats-io/jetstream';
import { nanos } from '@nats-io/nats-core';
import { DurableConflictError } from './errors.js';

export type DurableSpec = Readonly<{
  stream: string;
  durable: string;
  filterSubject: string;
  /** Where a new durable starts: every stored message (`all`) or only those published from now on (`new`). */
  deliver: 'all' | 'new';
  ackWaitMs: number;
  maxAckPending: number;
}>;

/**
 * Creates the durable pull consumer, or checks that the existing one is ours. An existing durable
 * keeps its position (that is what makes it durable), so `deliver` only matters the first time.
 * A durable with another filter is refused rather than silently re-pointed: two programs sharing a
 * durable name by mistake would otherwise steal each other's messages. Its `ackWaitMs` and
 * `maxAckPending` are this subscription's: an existing durable with others is updated (its
 * position kept), so a desk that raises `ackWaitMs` for a slow broker gets it on the next start
 * instead of redeliveries mid-handling at the old one.
 */
export async function ensureDurable(jsm: JetStreamManager, spec: DurableSpec): Promise<void> {
  try {
    const info = await jsm.consumers.info(spec.stream, spec.durable);
    const c = info.config;
    if ((c.filter_subject ?? '') !== spec.filterSubject) {
      throw new DurableConflictError(`durable ${spec.durable} on ${spec.stream} filters ${JSON.stringify(c.filter_subject ?? '')}, not ${JSON.stringify(spec.filterSubject)}: use another durable name or delete it`);
    }
    if ((c.deliver_subject ?? '') !== '' || c.ack_policy !== AckPolicy.Explicit) {
      throw new DurableConflictError(`durable ${spec.durable} on ${spec.stream} is not an explicit-ack pull consumer`);
    }
    const ackWait = nanos(spec.ackWaitMs);
    if (c.ack_wait !== ackWait || c.max_ack_pending !== spec.maxAckPending) {
      await jsm.consumers.update(spec.stream, spec.durable, { ack_wait: ackWait, max_ack_pending: spec.maxAckPending });
    }
    return;
  } catch (e) {
    if (!(e instanceof JetStreamApiError && e.code === JetStreamApiCodes.ConsumerNotFound)) throw e;
  }
  await jsm.consumers.add(spec.stream, {
    durable_name: spec.durable,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: spec.deliver === 'new' ? DeliverPolicy.New : DeliverPolicy.All,
    filter_subject: spec.filterSubject,
    ack_wait: nanos(spec.ackWaitMs),
    max_ack_pending: spec.maxAckPending,
  });
}
