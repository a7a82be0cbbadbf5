import { createHash } from 'node:crypto';

/** JSON with object keys sorted at every level (undefined members left out), so equal configs hash equally. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
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
