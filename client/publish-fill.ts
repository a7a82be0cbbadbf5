import type { PubAck } from '@nats-io/jetstream';
import { encode } from '../streams/codec.js';
import { assetSymbol } from '../streams/messages/common.js';
import { FillSchema } from '../streams/messages/fill.js';
import type { Fill } from '../streams/messages/fill.js';
import { SubjectError, subjectsFor } from '../streams/subjects.js';
import { toJetStream } from './connection.js';
import type { Connection } from './connection.js';
import { ClientValidationError, isNoStreamForSubject, NoStreamError } from './errors.js';
import { upperCaseHint } from './filters.js';
import { checkPublishFillOptions } from './publish-fill-options.js';
import { issuesText } from './validate.js';

export type PublishFillOptions = Readonly<{
  /** Subject prefix of the engine (config `prefix`, default `sx`): one lowercase token. */
  prefix?: string;
  /** How long to wait for the stream's ack, in whole milliseconds (default: the JetStream client's timeout, 5 s unless set). */
  timeoutMs?: number;
}>;

/**
 * Reports a fill of an approved order back to the engine on `sx.exec.fill.<venue>.<sym>`.
 * The fill is validated first (a refused one throws {@link ClientValidationError} and nothing is
 * sent; so does one of a symbol not in the engine's form, `btc/usdt`, or that no subject can
 * carry) and published with `Nats-Msg-Id` = `fill.id`, so retrying after a timeout never counts a
 * fill twice: the stream answers `duplicate: true`. Derive the id from the order and the venue's
 * execution id (e.g. `fillId(order.id, n)`), never from the time of sending. A prefix no stream
 * captures throws {@link NoStreamError} naming the subject. Options no publish can use
 * (`timeoutMs: 0`, `prefix: 'sx.demo'`) throw {@link ClientValidationError} first.
 */
export async function publishFill(conn: Connection, fill: Fill, opts: PublishFillOptions = {}): Promise<PubAck> {
  checkPublishFillOptions(opts);
  const r = FillSchema.safeParse(fill);
  if (!r.success) throw new ClientValidationError(`invalid fill: ${issuesText(r.error.issues)}`);
  const subject = fillSubject(opts.prefix ?? 'sx', r.data);
  try {
    return await toJetStream(conn).publish(subject, encode(r.data), { msgID: r.data.id, ...(opts.timeoutMs !== undefined ? { timeout: opts.timeoutMs } : {}) });
  } catch (e) {
    if (isNoStreamForSubject(e)) throw new NoStreamError(`no JetStream stream stores ${subject}: is prefix ${JSON.stringify(opts.prefix ?? 'sx')} the engine's config prefix, and has the engine provisioned its streams? (nats.js: ${(e as Error).message})`, { cause: e });
    throw e;
  }
}

/**
 * The fill's subject, or {@link ClientValidationError}: a symbol not in the engine's form names no
 * asset it trades (stored, acknowledged, then dead-lettered by the engine as UNKNOWN_SYMBOL, which
 * this caller would never see), and a venue or symbol no subject token can carry (`my_venue`,
 * `BTC USDT`) is as invalid as a bad field, not a {@link SubjectError} of the subject builder.
 */
function fillSubject(prefix: string, fill: Fill): string {
  if (!assetSymbol.safeParse(fill.symbol).success) {
    throw new ClientValidationError(`invalid fill: symbol: ${JSON.stringify(fill.symbol)} is no symbol of the engine: ccxt unified, upper case BASE/QUOTE[:SETTLE] like "BTC/USDT"${upperCaseHint(fill.symbol)}`);
  }
  try {
    return subjectsFor(prefix).fill(fill.venue, fill.symbol);
  } catch (e) {
    if (e instanceof SubjectError) throw new ClientValidationError(`invalid fill: ${e.message}`, { cause: e });
    throw e;
  }
}
