const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Messages travel as UTF-8 JSON. */
export const encode = (msg: unknown): Uint8Array => encoder.encode(JSON.stringify(msg));
export const decodeText = (data: Uint8Array): string => decoder.decode(data);

const jsonCache = new WeakMap<object, string>();

/**
 * JSON of an immutable message, computed once per object: a feature vector is written to the
 * Redis history and published on `sx.feat.…`, and serialising it twice was a visible share of
 * the per-message cost. Only for objects that are never mutated after creation.
 */
export function jsonOf(msg: object): string {
  let s = jsonCache.get(msg);
  if (s === undefined) {
    s = JSON.stringify(msg);
    jsonCache.set(msg, s);
  }
  return s;
}

export const encodeCached = (msg: object): Uint8Array => encoder.encode(jsonOf(msg));
