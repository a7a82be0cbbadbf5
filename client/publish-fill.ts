import type { PubAck } from '@nats-io/jetstream';
import { encode } from '../streams/codec.js';
import { FillSchema } from '../streams/messages/fill.js';
import type { Fill } from '../streams/messages/fill.js';
import { subjectsFor } from '../streams/subjects.js';
import { toJetStream } from './connection.js';
import type { Connection } from './connection.js';
import { ClientValidationError, isNoStreamForSubject, NoStreamError } from './errors.js';
import { issuesText } from './validate.js';

export type PublishFillOptions = Readonly<{ prefix?: string; timeoutMs?: number }>;

/**
 * Reports a fill of an approved order back to the engine on `sx.exec.fill.<venue>.<sym>`.
 * The fill is validated first (a refused one throws {@link ClientValidationError} and nothing is
 * sent) and published with `Nats-Msg-Id` = `fill.id`, so retrying after a timeout never counts a
 * fill twice: the stream answers `duplicate: true`. Derive the id from the order and the venue's
 * execution id (e.g. `fillId(order.id, n)`), never from the time of sending. A prefix no stream
 * captures throws {@link NoStreamError} naming the subject.
 */
export async function publishFill(conn: Connection, fill: Fill, opts: PublishFillOptions = {}): Promise<PubAck> {
  const r = FillSchema.safeParse(fill);
  if (!r.success) throw new ClientValidationError(`invalid fill: ${issuesText(r.error.issues)}`);
  const subject = subjectsFor(opts.prefix ?? 'sx').fill(r.data.venue, r.data.symbol);
  try {
    return await toJetStream(conn).publish(subject, encode(r.data), { msgID: r.data.id, ...(opts.timeoutMs !== undefined ? { timeout: opts.timeoutMs } : {}) });
  } catch (e) {
    if (isNoStreamForSubject(e)) throw new NoStreamError(`no JetStream stream stores ${subject}: is prefix ${JSON.stringify(opts.prefix ?? 'sx')} the engine's config prefix, and has the engine provisioned its streams? (nats.js: ${(e as Error).message})`, { cause: e });
    throw e;
  }
}
