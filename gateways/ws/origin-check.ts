/**
 * Browser origin check for the feed and control (cross-site websocket hijacking: a page on
 * another site could otherwise open the feed with the user's token). Origins compare exactly
 * (scheme://host[:port], case-insensitive); `*` in the allowlist admits any origin. Clients that
 * send no Origin (scripts, services) pass only when `allowMissing` is true.
 */
export type OriginPolicy = Readonly<{ allowedOrigins: readonly string[]; allowMissingOrigin: boolean }>;

const normalise = (o: string): string => o.trim().toLowerCase().replace(/\/+$/, '');

export function createOriginCheck(policy: OriginPolicy): (origin: string | undefined) => boolean {
  const allowed = new Set(policy.allowedOrigins.map(normalise));
  const any = allowed.has('*');
  return (origin) => {
    if (origin === undefined || origin === '') return policy.allowMissingOrigin;
    return any || allowed.has(normalise(origin));
  };
}
