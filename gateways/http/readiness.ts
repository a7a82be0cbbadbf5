import type { Logger } from '../../state/logger.js';

/**
 * Readiness: a probe resolves when its dependency answers (resolving `false` counts as a failure)
 * and rejects or times out when it does not. All probes run at once.
 */
export type Probe = () => Promise<unknown>;
export type Probes = Readonly<Record<string, Probe>>;

export type ProbeResult = Readonly<{ ok: boolean; ms: number; error?: string }>;
export type Readiness = Readonly<{ ready: boolean; checks: Readonly<Record<string, ProbeResult>>; failed: readonly string[] }>;

/**
 * Why a probe failed, never empty: a connection refused on every address of a host (`localhost`
 * as ::1 and 127.0.0.1, Node's happy eyeballs) rejects with an AggregateError whose own message
 * is '', and `/readyz` would name the failed dependency with no reason.
 */
export function describeFailure(e: Error): string {
  if (e.message !== '') return e.message;
  const inner = e instanceof AggregateError ? e.errors.map((x: unknown) => (x instanceof Error ? x.message : String(x))).filter((m) => m !== '') : [];
  if (inner.length > 0) return inner.join('; ');
  const code = (e as Error & { code?: unknown }).code;
  return typeof code === 'string' && code !== '' ? code : e.name;
}

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
        return [name, { ok: false, ms: Math.round((now() - t0) * 10) / 10, error: describeFailure(e as Error) }];
      }
    }),
  );
  const failed = entries.filter(([, r]) => !r.ok).map(([n]) => n);
  return { ready: failed.length === 0, checks: Object.fromEntries(entries), failed };
}

/**
 * Logs where readiness changes, with each failed probe's reason: a warning when a probe fails or
 * its reason changes, an info line when all pass again. `/readyz` keeps the reasons from callers
 * without the metrics token (`health-detail.ts`), so the log is where they are always said; once a
 * change, not once a probe (an orchestrator asks every few seconds).
 *
 * @example const said = readinessLog(log); const r = await checkReadiness(probes, 2000); said(r);
 */
export function readinessLog(log: Pick<Logger, 'info' | 'warn'>): (r: Readiness) => void {
  let last = '';
  return (r) => {
    const reasons = Object.fromEntries(r.failed.map((n) => [n, r.checks[n]?.error ?? 'not ready']));
    const now = r.ready ? '' : JSON.stringify(reasons);
    if (now === last) return;
    last = now;
    if (r.ready) log.info({}, 'ready: every readiness probe passes again');
    else log.warn({ failed: r.failed, reasons }, 'not ready: /readyz answers 503');
  };
}
