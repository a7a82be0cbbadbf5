import type { PubAck } from '@nats-io/jetstream';
import { FillSchema } from '../streams/messages/fill.js';
import type { Fill } from '../streams/messages/fill.js';
import type { Connection } from './connection.js';
import { publishExecReport } from './publish-exec.js';
import type { ExecReportKind } from './publish-exec.js';
import { checkPublishFillOptions } from './publish-fill-options.js';

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
 * one subject token, and one with a field the schema does not have, which would be dropped) and published with `Nats-Msg-Id` = `fill.id`, so retrying after a timeout never counts a
 * fill twice: the stream answers `duplicate: true`. Derive the id from the order and the venue's
 * execution id (e.g. `fillId(order.id, n)`), never from the time of sending. A prefix no stream
 * captures throws {@link NoStreamError} naming the subject. Options no publish can use
 * (`timeoutMs: 0`, `prefix: 'sx.demo'`), and options it does not know, which it would ignore
 * (`timeout: 1000`), throw {@link ClientValidationError} first.
 */
export async function publishFill(conn: Connection, fill: Fill, opts: PublishFillOptions = {}): Promise<PubAck> {
  checkPublishFillOptions(opts);
  return publishExecReport(conn, FILL, fill, opts);
}

const FILL: ExecReportKind<Fill> = { schema: FillSchema, what: 'fill', order: 'the order it fills', subject: (s, venue, symbol) => s.fill(venue, symbol), fields: Object.keys(FillSchema.unwrap().shape) };
