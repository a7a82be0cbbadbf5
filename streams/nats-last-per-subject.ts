import { AckPolicy, DeliverPolicy, jetstream, JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import type { JetStreamManager } from '@nats-io/jetstream';
import { nanos } from '@nats-io/nats-core';
import type { NatsConnection } from '@nats-io/nats-core';
import type { StoredMessage } from './bus.js';
import { BusError, StreamNotFoundError } from './errors.js';

export type LastPerSubjectDeps = Readonly<{
  nc: NatsConnection;
  jsm: () => Promise<JetStreamManager>;
  /** Bounds the consumer's creation and the fetch of what it holds. */
  requestTimeoutMs: number;
}>;

/** A consumer left behind (the process died mid-read) is removed by the server after this long idle. */
const INACTIVE_THRESHOLD_MS = 30_000;

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/**
 * `Bus.lastPerSubject` on JetStream: an ephemeral consumer with deliver policy `last_per_subject`
 * holds, when created, the newest message of each matching subject; its `num_pending` says how
 * many, and exactly that many are fetched (anything published meanwhile is left to live readers).
 * Not an ordered consumer: one that recreates itself resumes by start sequence, which would hand
 * over every message after the gap instead of the last ones. Server 2.9 takes one filter subject.
 */
export async function natsLastPerSubject(deps: LastPerSubjectDeps, stream: string, filterSubject: string): Promise<readonly StoredMessage[]> {
  let m: JetStreamManager | undefined;
  let name: string | undefined;
  try {
    m = await deps.jsm();
    const ci = await m.consumers.add(stream, {
      ...(filterSubject === '' ? {} : { filter_subject: filterSubject }),
      deliver_policy: DeliverPolicy.LastPerSubject,
      ack_policy: AckPolicy.None,
      mem_storage: true,
      num_replicas: 1,
      inactive_threshold: nanos(INACTIVE_THRESHOLD_MS),
    });
    name = ci.name;
    const want = ci.num_pending;
    if (want === 0) return [];
    const consumer = await jetstream(deps.nc, { timeout: deps.requestTimeoutMs }).consumers.get(stream, name);
    const out: StoredMessage[] = [];
    const msgs = await consumer.fetch({ max_messages: want, expires: Math.max(1_000, deps.requestTimeoutMs) });
    for await (const jm of msgs) {
      out.push({ subject: jm.subject, data: jm.data, streamSeq: jm.seq });
      if (out.length >= want) break;
    }
    // An expired fetch ends the iteration quietly: a partial answer would read as "no such subject".
    if (out.length < want) throw new BusError(`read ${out.length} of the ${want} last messages of ${filterSubject || 'every subject'} in ${stream} before the fetch expired`, true);
    return out;
  } catch (e) {
    if (e instanceof BusError) throw e;
    if (e instanceof JetStreamApiError && e.code === JetStreamApiCodes.StreamNotFound) throw new StreamNotFoundError(stream, { cause: e });
    throw new BusError(`cannot read the last message of each subject ${filterSubject || '(all)'} in ${stream}: ${message(e)}`, true, { cause: e });
  } finally {
    if (m !== undefined && name !== undefined) await m.consumers.delete(stream, name).catch(() => false);
  }
}
