import type { z } from 'zod';
import { BarSchema } from '../messages/bar.js';
import { nonNegative, positive } from '../messages/common.js';
import { RefusalReason } from '../messages/dlq-entry.js';
import type { MarketData } from '../messages/market-data.js';
import { QuoteSchema } from '../messages/quote.js';
import { TradeSchema } from '../messages/trade.js';
import type { Subjects } from '../subjects.js';
import { fastMarketData } from './fast-market-data.js';
import type { Refusal } from './refusal.js';
import { refuse } from './refusal.js';

export type { Refusal } from './refusal.js';
export type Accepted = Readonly<{ ok: true; msg: MarketData }>;

export type DecodeOptions = Readonly<{
  maxPayloadBytes: number;
  subjects: Subjects;
  isKnown: (venue: string, symbol: string) => boolean;
}>;

type Route = ReturnType<Subjects['parseMarketData']>;
type Kind = 'trade' | 'quote' | 'bar';

const SCHEMAS = { 'md.trade': TradeSchema, 'md.quote': QuoteSchema, 'md.bar': BarSchema } as const;
type MessageType = keyof typeof SCHEMAS;
const KIND: Readonly<Record<MessageType, Kind>> = { 'md.trade': 'trade', 'md.quote': 'quote', 'md.bar': 'bar' };
/** The fields each schema knows; a non-finite number elsewhere is dropped like any unknown field. */
const FIELDS: Readonly<Record<MessageType, readonly string[]>> = {
  'md.trade': Object.keys(TradeSchema.unwrap().shape),
  'md.quote': Object.keys(QuoteSchema.unwrap().shape),
  'md.bar': Object.keys(BarSchema.unwrap().shape),
};
/** The price and size fields (`positive`, `nonNegative`): a number below their bound is NON_POSITIVE; `ts: -1` is SCHEMA. */
const signFields = (shape: Readonly<Record<string, z.ZodType>>): ReadonlySet<string> =>
  new Set(Object.keys(shape).filter((k) => shape[k] === positive || shape[k] === nonNegative));
const SIGN_FIELDS: Readonly<Record<MessageType, ReadonlySet<string>>> = {
  'md.trade': signFields(TradeSchema.unwrap().shape),
  'md.quote': signFields(QuoteSchema.unwrap().shape),
  'md.bar': signFields(BarSchema.unwrap().shape),
};

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes and validates one inbound market-data message at the edge, without throwing. Checks,
 * in order: size (OVERSIZE), UTF-8 and JSON object (MALFORMED_JSON), the schema of its `type` —
 * ±Infinity, which JSON spells `1e999`, is NON_FINITE, a zero or negative price or size is
 * NON_POSITIVE, anything else SCHEMA with the path and the problem — then the configured asset
 * (UNKNOWN_SYMBOL) and agreement with the subject (SUBJECT_MISMATCH). Stateless: duplicates and
 * ordering are the tick gate's job.
 *
 * Parsed subjects are memoised per `Subjects` object (a bounded cache that changes no verdict);
 * a consumer can hold its own cache with {@link createMarketDataDecoder}.
 *
 * @example
 * const r = decodeMarketData(msg.subject, msg.data, { maxPayloadBytes: 4096, subjects, isKnown });
 * if (!r.ok) dlq.publish(toDlqEntry({ source: 'asset', subject: msg.subject, data: msg.data, refusal: r, ts }));
 */
export function decodeMarketData(subject: string, data: Uint8Array, opts: DecodeOptions): Accepted | Refusal {
  let routes = sharedRoutes.get(opts.subjects);
  if (routes === undefined) sharedRoutes.set(opts.subjects, (routes = new Map()));
  return decodeWith(subject, data, opts, cachedRoute(routes, opts.subjects, subject));
}

/** Parsing a subject costs about as much as the rest of the checks together, so it is memoised. */
const sharedRoutes = new WeakMap<Subjects, Map<string, Route | null>>();
const MAX_CACHED_ROUTES = 1024; // subjects come from outside: bounded

function cachedRoute(routes: Map<string, Route | null>, subjects: Subjects, subject: string): Route {
  let route = routes.get(subject);
  if (route === undefined) {
    route = routeOf(subjects, subject) ?? null;
    if (routes.size < MAX_CACHED_ROUTES) routes.set(subject, route);
  }
  return route ?? undefined;
}

/**
 * A decoder for one consumer: the same verdicts as {@link decodeMarketData}, with a cache of
 * parsed subjects of its own — an asset actor sees a handful of subjects millions of times, and
 * a full shared cache (it stops growing at 1,024 subjects) would leave it parsing every one.
 */
export function createMarketDataDecoder(opts: DecodeOptions): (subject: string, data: Uint8Array) => Accepted | Refusal {
  const routes = new Map<string, Route | null>();
  return (subject, data) => decodeWith(subject, data, opts, cachedRoute(routes, opts.subjects, subject));
}

function routeOf(subjects: Subjects, subject: string): Route {
  try {
    return subjects.parseMarketData(subject);
  } catch {
    return undefined; // a token that is not a symbol: no route, so SUBJECT_MISMATCH
  }
}

function decodeWith(subject: string, data: Uint8Array, opts: DecodeOptions, route: Route): Accepted | Refusal {
  if (data.byteLength > opts.maxPayloadBytes) return refuse(RefusalReason.OVERSIZE, `${data.byteLength} bytes > ${opts.maxPayloadBytes}`);
  let raw: unknown;
  try {
    raw = JSON.parse(utf8.decode(data));
  } catch (e) {
    return refuse(RefusalReason.MALFORMED_JSON, e instanceof Error ? e.message : String(e));
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return refuse(RefusalReason.MALFORMED_JSON, 'payload is not a JSON object');
  const obj = raw as Record<string, unknown>;

  let msg = fastMarketData(obj);
  if (msg === undefined) {
    const slow = explain(obj);
    if (!slow.ok) return slow;
    msg = slow.msg;
  }

  if (!opts.isKnown(msg.venue, msg.symbol)) return refuse(RefusalReason.UNKNOWN_SYMBOL, `${msg.venue} ${msg.symbol} is not a configured asset`);
  const kind = KIND[msg.type];
  if (route === undefined || route.venue !== msg.venue || route.symbol !== msg.symbol || route.kind !== kind || (msg.type === 'md.bar' && route.tf !== msg.tf)) {
    return refuse(RefusalReason.SUBJECT_MISMATCH, `payload ${msg.venue} ${msg.symbol} ${kind} does not belong on ${subject}`);
  }
  return { ok: true, msg };
}

/**
 * The slow path, for what the hand-written accept path refused (or for the rare message it
 * cannot take, such as one with unknown fields): zod decides, and its issues become the reason.
 */
function explain(obj: Readonly<Record<string, unknown>>): Accepted | Refusal {
  const type = obj['type'];
  if (type !== 'md.trade' && type !== 'md.quote' && type !== 'md.bar') {
    return refuse(RefusalReason.SCHEMA, `type: expected md.trade, md.quote or md.bar, got ${JSON.stringify(type) ?? 'nothing'}`);
  }
  for (const field of FIELDS[type]) {
    const v = obj[field];
    if (typeof v === 'number' && !Number.isFinite(v)) return refuse(RefusalReason.NON_FINITE, `${field}: must be a finite number, got ${v}`);
  }
  const parsed = SCHEMAS[type].safeParse(obj);
  if (parsed.success) return { ok: true, msg: parsed.data };
  // Finiteness was settled above: a too-small number in a price or size field is a zero or negative price or size.
  const signIssue = parsed.error.issues.find(
    (i) => i.code === 'too_small' && i.path.length === 1 && SIGN_FIELDS[type].has(String(i.path[0])) && typeof obj[String(i.path[0])] === 'number',
  );
  if (signIssue !== undefined) return refuse(RefusalReason.NON_POSITIVE, describe([signIssue]));
  return refuse(RefusalReason.SCHEMA, describe(parsed.error.issues));
}

function describe(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .slice(0, 3)
    .map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`)
    .join('; ');
}
