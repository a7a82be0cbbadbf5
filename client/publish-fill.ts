import type { PubAck } from '@nats-io/jetstream';
import { encode } from '../streams/codec.js';
import { assetSymbol } from '../streams/messages/common.js';
import { FillSchema } from '../streams/messages/fill.js';
import type { Fill } from '../streams/messages/fill.js';
import { orderId } from '../streams/messages/order.js';
import { SubjectError, subjectsFor } from '../streams/subjects.js';
import { toJetStream } from './connection.js';
import type { Connection } from './connection.js';
import { ClientValidationError, isNoStreamForSubject, NoStreamError } from './errors.js';
import { NAME_TOKEN_RE, upperCaseHint } from './filters.js';
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
 * carry, and one whose `orderId` is not an order id of the engine, `o:…`, or whose strategy is not
 * one subject token) and published with `Nats-Msg-Id` = `fill.id`, so retrying after a timeout never counts a
 * fill twice: the stream answers `duplicate: true`. Derive the id from the order and the venue's
 * execution id (e.g. `fillId(order.id, n)`), never from the time of sending. A prefix no stream
 * captures throws {@link NoStreamError} naming the subject. Options no publish can use
 * (`timeoutMs: 0`, `prefix: 'sx.demo'`), and options it does not know, which it would ignore
 * (`timeout: 1000`), throw {@link ClientValidationError} first.
 */
export async function publishFill(conn: Connection, fill: Fill, opts: PublishFillOptions = {}): Promise<PubAck> {
  checkPublishFillOptions(opts);
  const r = FillSchema.safeParse(fill);
  if (!r.success) throw new ClientValidationError(`invalid fill: ${issuesText(r.error.issues)}`);
  checkOrderOf(r.data);
  const subject = fillSubject(opts.prefix ?? 'sx', r.data);
  try {
    return await toJetStream(conn).publish(subject, encode(r.data), { msgID: r.data.id, ...(opts.timeoutMs !== undefined ? { timeout: opts.timeoutMs } : {}) });
  } catch (e) {
    if (isNoStreamForSubject(e)) throw new NoStreamError(`no JetStream stream stores ${subject}: is prefix ${JSON.stringify(opts.prefix ?? 'sx')} the engine's config prefix, and has the engine provisioned its streams? (nats.js: ${(e as Error).message})`, { cause: e });
    throw e;
  }
}

/**
 * {@link ClientValidationError} for a fill that can be of no order of the engine: its orders' ids are
 * `o:<suggestion id>` (`orderId(suggestionId)`) and their strategies one subject token, so a fill
 * naming the broker's order id, or a strategy like `dir.mlp`, was stored, acknowledged, then
 * dead-lettered by the engine (UNKNOWN_ORDER, ORDER_MISMATCH), which this caller would never see.
 */
function checkOrderOf(fill: Fill): void {
  if (!fill.orderId.startsWith(orderId(''))) {
    throw new ClientValidationError(`invalid fill: orderId: ${JSON.stringify(fill.orderId)} is no order id of the engine: give the \`id\` of the order it fills (o:…), not the venue's order id`);
  }
  if (!NAME_TOKEN_RE.test(fill.strategy)) {
    throw new ClientValidationError(`invalid fill: strategy: ${JSON.stringify(fill.strategy)} is no strategy of the engine: give the \`strategy\` of the order it fills (1-64 letters, digits, _ and -)`);
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
