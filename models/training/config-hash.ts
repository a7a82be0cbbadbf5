import { createHash } from 'node:crypto';

/** JSON with object keys sorted at every level (undefined members left out, typed arrays as arrays), so equal values hash equally. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return canonicalJson(Array.from(v as unknown as ArrayLike<number>));
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .filter((k) => o[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/** sha256 (hex) of the canonical JSON of `v`. */
export const configHash = (v: unknown): string => createHash('sha256').update(canonicalJson(v)).digest('hex');
