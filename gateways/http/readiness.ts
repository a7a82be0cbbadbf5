/**
 * Readiness: a probe resolves when its dependency answers (resolving `false` counts as a failure)
 * and rejects or times out when it does not. All probes run at once.
 */
export type Probe = () => Promise<unknown>;
export type Probes = Readonly<Record<string, Probe>>;

export type ProbeResult = Readonly<{ ok: boolean; ms: number; error?: string }>;
export type Readiness = Readonly<{ ready: boolean; checks: Readonly<Record<string, ProbeResult>>; failed: readonly string[] }>;

const withTimeout = <T>(p: Promise<T>, ms: number): Promise<T> =>
  new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });

export async function checkReadiness(probes: Probes, timeoutMs: number, now: () => number = performance.now.bind(performance)): Promise<Readiness> {
  const entries = await Promise.all(
    Object.entries(probes).map(async ([name, probe]): Promise<[string, ProbeResult]> => {
      const t0 = now();
      try {
        const v = await withTimeout(Promise.resolve().then(probe), timeoutMs);
        const ms = Math.round((now() - t0) * 10) / 10;
        return [name, v === false ? { ok: false, ms, error: 'not ready' } : { ok: true, ms }];
      } catch (e) {
        return [name, { ok: false, ms: Math.round((now() - t0) * 10) / 10, error: (e as Error).message }];
      }
    }),
  );
  const failed = entries.filter(([, r]) => !r.ok).map(([n]) => n);
  return { ready: failed.length === 0, checks: Object.fromEntries(entries), failed };
}
