import { AckPolicy, DeliverPolicy, jetstream, JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import type { JetStreamManager } from '@nats-io/jetstream';
import { nanos } from '@nats-io/nats-core';
import type { NatsConnection } from '@nats-io/nats-core';
import type { ReadStoredOptions, StoredMessage } from './bus.js';
import { READ_STORED_MAX } from './bus.js';
import { BusError, StreamNotFoundError, tooManyStored } from './errors.js';

export type ReadStoredDeps = Readonly<{
  nc: NatsConnection;
  jsm: () => Promise<JetStreamManager>;
  /** Bounds the consumer's creation and each fetch of what it holds. */
  requestTimeoutMs: number;
}>;

/** A consumer left behind (the process died mid-read) is removed by the server after this long idle. */
const INACTIVE_THRESHOLD_MS = 30_000;
/** Messages asked for per pull. */
const FETCH_BATCH = 1_000;

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/**
 * `Bus.readStored` on JetStream: an ephemeral consumer (deliver policy `all`) whose `num_pending`
 * at creation says how many messages match; exactly that many are fetched, so anything published
 * meanwhile is left to live readers, and the consumer is deleted after. Server 2.9 takes one
 * filter subject per consumer.
 */
export async function natsReadStored(deps: ReadStoredDeps, stream: string, filterSubject: string, opts: ReadStoredOptions = {}): Promise<readonly StoredMessage[]> {
  const what = filterSubject || 'every subject';
  let m: JetStreamManager | undefined;
  let name: string | undefined;
  try {
    m = await deps.jsm();
    const ci = await m.consumers.add(stream, {
      ...(filterSubject === '' ? {} : { filter_subject: filterSubject }),
      deliver_policy: DeliverPolicy.All,
      ack_policy: AckPolicy.None,
      mem_storage: true,
      num_replicas: 1,
      inactive_threshold: nanos(INACTIVE_THRESHOLD_MS),
    });
    name = ci.name;
    const want = ci.num_pending;
    const max = opts.max ?? READ_STORED_MAX;
    if (want > max) throw tooManyStored(stream, filterSubject, want, max);
    const out: StoredMessage[] = [];
    if (want === 0) return out;
    const consumer = await jetstream(deps.nc, { timeout: deps.requestTimeoutMs }).consumers.get(stream, name);
    while (out.length < want) {
      const before = out.length;
      const msgs = await consumer.fetch({ max_messages: Math.min(FETCH_BATCH, want - out.length), expires: Math.max(1_000, deps.requestTimeoutMs) });
      for await (const jm of msgs) {
        out.push({ subject: jm.subject, data: jm.data, streamSeq: jm.seq });
        if (out.length >= want) break;
      }
      // An expired pull ends quietly: a short answer would read as "nothing more is stored".
      if (out.length === before) throw new BusError(`read ${out.length} of the ${want} stored messages of ${what} in ${stream} before a pull expired`, true);
    }
    return out;
  } catch (e) {
    if (e instanceof BusError) throw e;
    if (e instanceof JetStreamApiError && e.code === JetStreamApiCodes.StreamNotFound) throw new StreamNotFoundError(stream, { cause: e });
    throw new BusError(`cannot read the stored messages of ${what} in ${stream}: ${message(e)}`, true, { cause: e });
  } finally {
    if (m !== undefined && name !== undefined) await m.consumers.delete(stream, name).catch(() => false);
  }
}
