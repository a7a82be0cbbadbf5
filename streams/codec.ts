const decoder = new TextDecoder();

/**
 * UTF-8 bytes of a string. `Buffer.from` takes small results from Node's shared 8 KiB pool, where
 * `TextEncoder.encode` allocates an ArrayBuffer per call: ~0.4 against ~1.5 µs for a 470-byte
 * message (bench/README.md, issue 3), on every publish of the decision path. The bytes may be a
 * view into the pool: read them through the view (offset and length), never through `.buffer`.
 */
export const utf8 = (s: string): Uint8Array => Buffer.from(s, 'utf8');

/** Messages travel as UTF-8 JSON. */
export const encode = (msg: unknown): Uint8Array => utf8(JSON.stringify(msg));
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

export const encodeCached = (msg: object): Uint8Array => utf8(jsonOf(msg));
