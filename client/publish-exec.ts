import type { PubAck } from '@nats-io/jetstream';
import type { z } from 'zod';
import { encode } from '../streams/codec.js';
import { assetSymbol } from '../streams/messages/common.js';
import { orderId } from '../streams/messages/order.js';
import { SubjectError, subjectsFor } from '../streams/subjects.js';
import type { Subjects } from '../streams/subjects.js';
import { toJetStream } from './connection.js';
import type { Connection } from './connection.js';
import { ClientValidationError, inboxRefusal, isNoStreamForSubject, NoStreamError } from './errors.js';
import { NAME_TOKEN_RE, upperCaseHint } from './filters.js';
import type { PublishFillOptions } from './publish-fill.js';
import { issuesText } from './validate.js';

/** What `publishFill` and `publishExpiry` send: a report on one order of the engine, its `id` the Nats-Msg-Id. */
type ExecReport = Readonly<{ id: string; orderId: string; strategy: string; venue: string; symbol: string }>;

/** How refusals name one kind of report, and its subject. */
type ExecReportNames = Readonly<{
  /** `invalid <what>: …`: 'fill', 'expiry'. */
  what: string;
  /** How the refusals name its order: 'the order it fills', 'the order that expired'. */
  order: string;
  subject: (subjects: Subjects, venue: string, symbol: string) => string;
  /** The schema's fields, in its order: any other is refused here, before sending, as the engine would refuse it (SCHEMA). */
  fields: readonly string[];
}>;

/** One kind of report: its schema, how refusals name it, its subject. */
export type ExecReportKind<T extends ExecReport> = ExecReportNames & Readonly<{ schema: z.ZodType<T> }>;

/**
 * Validates `msg` as `kind` and publishes it with `Nats-Msg-Id` = its id, the one path of
 * `publishFill` and `publishExpiry` (each checks its options first): a refused message throws
 * {@link ClientValidationError} and nothing is sent; a prefix no stream captures throws
 * {@link NoStreamError} naming the subject.
 */
export async function publishExecReport<T extends ExecReport>(conn: Connection, kind: ExecReportKind<T>, msg: unknown, opts: PublishFillOptions): Promise<PubAck> {
  checkFieldsOf(kind, msg);
  const r = kind.schema.safeParse(msg);
  if (!r.success) throw new ClientValidationError(`invalid ${kind.what}: ${issuesText(r.error.issues)}`);
  checkOrderOf(kind, r.data);
  const subject = subjectOf(kind, opts.prefix ?? 'sx', r.data);
  try {
    return await toJetStream(conn).publish(subject, encode(r.data), { msgID: r.data.id, ...(opts.timeoutMs !== undefined ? { timeout: opts.timeoutMs } : {}) });
  } catch (e) {
    // The server refuses the reply subscription but still takes the message: it may be stored.
    const refused = inboxRefusal(e, conn, `. The ${kind.what} was sent and may have been stored: send it again with the same id once connected so (the stream deduplicates it)`);
    if (refused !== undefined) throw refused;
    if (isNoStreamForSubject(e)) throw new NoStreamError(`no JetStream stream stores ${subject}: is prefix ${JSON.stringify(opts.prefix ?? 'sx')} the engine's config prefix, and has the engine provisioned its streams? (nats.js: ${(e as Error).message})`, { cause: e });
    throw e;
  }
}

/**
 * {@link ClientValidationError} for a report with a field its schema does not have: the engine refuses it
 * (SCHEMA, to `sx.dlq.decisions`, after it was stored and acknowledged, which this caller would never
 * see). Before the schemas were strict zod stripped it: sent without it, a JavaScript desk's
 * `feeCurrency: 'BNB'` had its fee booked in the quote currency. A field set to `undefined` is as
 * absent, as JSON sends it.
 */
function checkFieldsOf(kind: ExecReportNames, msg: unknown): void {
  if (typeof msg !== 'object' || msg === null) return; // the schema refuses it, naming the type
  const unknown = Object.entries(msg).filter(([k, v]) => v !== undefined && !kind.fields.includes(k)).map(([k]) => k);
  if (unknown.length === 0) return;
  const [one, them] = unknown.length === 1 ? ['field', 'it'] : ['fields', 'them'];
  throw new ClientValidationError(`invalid ${kind.what}: unknown ${one} ${unknown.join(', ')}: the engine would refuse ${them} (fields: ${kind.fields.join(', ')})`);
}

/**
 * {@link ClientValidationError} for a report that can be of no order of the engine: its orders' ids are
 * `o:<suggestion id>` (`orderId(suggestionId)`) and their strategies one subject token, so a report
 * naming the broker's order id, or a strategy like `dir.mlp`, was stored, acknowledged, then
 * dead-lettered by the engine (UNKNOWN_ORDER, ORDER_MISMATCH), which this caller would never see.
 */
function checkOrderOf(kind: ExecReportNames, m: ExecReport): void {
  if (!m.orderId.startsWith(orderId(''))) {
    throw new ClientValidationError(`invalid ${kind.what}: orderId: ${JSON.stringify(m.orderId)} is no order id of the engine: give the \`id\` of ${kind.order} (o:…), not the venue's order id`);
  }
  if (!NAME_TOKEN_RE.test(m.strategy)) {
    throw new ClientValidationError(`invalid ${kind.what}: strategy: ${JSON.stringify(m.strategy)} is no strategy of the engine: give the \`strategy\` of ${kind.order} (1-64 letters, digits, _ and -)`);
  }
}

/**
 * The report's subject, or {@link ClientValidationError}: a symbol not in the engine's form names no
 * asset it trades (stored, acknowledged, then dead-lettered by the engine as UNKNOWN_SYMBOL, which
 * this caller would never see), and a venue or symbol no subject token can carry (`my_venue`,
 * `BTC USDT`) is as invalid as a bad field, not a {@link SubjectError} of the subject builder.
 */
function subjectOf(kind: ExecReportNames, prefix: string, m: ExecReport): string {
  if (!assetSymbol.safeParse(m.symbol).success) {
    throw new ClientValidationError(`invalid ${kind.what}: symbol: ${JSON.stringify(m.symbol)} is no symbol of the engine: ccxt unified, upper case BASE/QUOTE[:SETTLE] like "BTC/USDT"${upperCaseHint(m.symbol)}`);
  }
  try {
    return kind.subject(subjectsFor(prefix), m.venue, m.symbol);
  } catch (e) {
    if (e instanceof SubjectError) throw new ClientValidationError(`invalid ${kind.what}: ${e.message}`, { cause: e });
    throw e;
  }
}
