import { z } from 'zod';

/**
 * A finite number: NaN and ±Infinity are refused at the edge (zod's number refuses them; the error
 * says so in our words). The sign rules below are zod's own checks, not refinements, so the
 * published JSON Schema carries them (`exclusiveMinimum: 0`, `minimum: 0`): a consumer validating
 * against docs/asyncapi.yaml alone refuses `qty: -1` as the engine does.
 */
export const finite = z.number({ error: (iss) => (typeof iss.input === 'number' ? 'must be a finite number' : undefined) });
export const positive = finite.gt(0, { error: 'must be > 0' });
export const nonNegative = finite.min(0, { error: 'must be >= 0' });
/** Event time, milliseconds since the Unix epoch (UTC). */
export const epochMs = z.number().int().nonnegative();
export const token = z.string().min(1).max(64);
export const symbol = z.string().min(1).max(64);
/**
 * A symbol the engine trades (`config assets`): a ccxt unified symbol, upper case BASE/QUOTE with
 * an optional :SETTLE (`BTC/USDT`, `BTC/USDT:USDT`). Messages take any {@link symbol}; what names a
 * configured asset — and so what a subscription filter can ever match — has this form.
 */
export const assetSymbol = z.string().regex(/^[A-Z0-9]+\/[A-Z0-9]+(:[A-Z0-9]+)?$/, 'a ccxt unified symbol like BTC/USDT');
/** Id of a message from outside the engine (market data from a venue or a replayed file). */
export const sourceId = z.string().min(1).max(200);
/**
 * Id of a message, most of them derived from another's (`f:<bar id>`, `p:<strategy>:<vector id>`,
 * `e:<prediction id>`, `s:<parent>:<child>`, `o:`/`r:<suggestion id>`, `x:<order id>:<n>`,
 * `lbl:`/`out:<subject id>`): each step adds a prefix or a suffix, so the bound leaves room for the
 * whole chain from a 200-character source id (about 290 characters at most).
 */
export const messageId = z.string().min(1).max(400);
/**
 * The error of a v1 message's strict object schema for fields it has not: refused, not stripped (zod's
 * default), so a producer's `feeCurrency: 'BNB'` is not booked as if it had not been sent. The schemas
 * are the contract: a new field is a new version (DESIGN.md), so a v1 consumer has nothing to skip.
 *
 * @example z.strictObject(shape, { error: unknownFields('fill') })
 */
export const unknownFields =
  (what: string) =>
  (iss: Readonly<{ code?: string; keys?: readonly string[] }>): string | undefined =>
    iss.code === 'unrecognized_keys' && iss.keys !== undefined
      ? `unknown ${iss.keys.length === 1 ? 'field' : 'fields'} ${iss.keys.join(', ')}: not in the v1 ${what} (a new field is a new schema version), refused rather than dropped`
      : undefined;

/**
 * A suggestion's id (from the execution actor, or a policy of the user's publishing its own): short
 * enough that the order, reject, fill, outcome and label ids derived from it stay within `messageId`.
 */
export const suggestionMessageId = z.string().min(1).max(300);
