/**
 * What the latency benches (decision-latency, training-latency) share: the engine config that
 * lets nearly every prediction become an order, the bar source, the paced publisher and the
 * wait for the engine to drain.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '../config/schema.js';
import type { InferencePlacement } from '../models/runtime/model-runtime.js';
import { findBarFiles } from '../gateways/data-dir.js';
import { readBars } from '../gateways/historical/bars-csv.js';
import { mergeByTime } from '../gateways/historical/merge-by-time.js';
import type { Bus } from '../streams/bus.js';
import { encode } from '../streams/codec.js';
import { barId } from '../streams/messages/bar.js';
import type { Bar, Timeframe } from '../streams/messages/bar.js';
import type { Subjects } from '../streams/subjects.js';

const BIG = 1e12;

/** A bench's `--thread` value: where the engine runs inference, or undefined for the config's `models.inferenceThread`. */
export function placementArg(value: string | undefined): InferencePlacement | undefined {
  if (value !== undefined && value !== 'worker' && value !== 'main' && value !== 'auto') throw new Error('--thread must be worker, main or auto');
  return value;
}

/** How a run's inference placement reads in a bench's header. */
export function placementText(cfg: Config, arg: InferencePlacement | undefined): string {
  const p = arg ?? cfg.models.inferenceThread;
  const where = p === 'main' ? 'on the main thread' : p === 'worker' ? 'on a worker thread' : `on the main thread up to ${cfg.models.inlineMaxMacs.toLocaleString('en-US')} multiply-adds a call, else on a worker thread`;
  return `${where} (onnxruntime ${cfg.models.device}, --thread ${p})`;
}

/** The benches' namespace and account, so runs never meet each other or a real deployment. */
export type BenchNames = Readonly<{ prefix: string; streamNamePrefix: string; account: string }>;

/** A config that lets nearly every prediction become an order (risk limits wide open), so most bars have a latency. */
export function openLimitsConfig(base: Config, symbols: readonly string[], timeframe: Timeframe, names: BenchNames): Config {
  return {
    ...base,
    prefix: names.prefix,
    streamNamePrefix: names.streamNamePrefix,
    assets: symbols.map((symbol) => ({ venue: base.venue, symbol })),
    strategy: { ...base.strategy, timeframe, minConfidence: 0, maxIntervalWidth: 1e6, sizing: 'quote', positionSize: 1000, allowShort: true },
    execution: { ...base.execution, policy: 'immediate', minQtyFraction: 0 },
    risk: {
      account: names.account,
      limits: {
        allowlist: [...symbols],
        maxOrderQty: { default: BIG, perSymbol: {} },
        maxOrderNotional: BIG,
        minOrderNotional: 0,
        collarBps: 10_000,
        maxPositionQty: { default: BIG, perSymbol: {} },
        maxGrossNotional: BIG,
        maxOrdersPerWindow: 1_000_000_000,
        windowMs: 1,
        staleAfterMs: 365 * 86_400_000,
        unreportedExpiryGraceMs: base.risk.limits.unreportedExpiryGraceMs,
        maxDailyLoss: BIG,
        maxDrawdown: BIG,
        onBreach: 'halt',
      },
    },
    decision: { ...base.decision, idleFlushMs: 50 },
  };
}

/**
 * The first `total` real bars of `symbols` from `from` on, merged in event-time order, cut at the
 * last time every symbol still has bars. Counting `total / symbols` bars per symbol instead let a
 * symbol with a gap inside the window (BNB/USDT has none from 2024-05-08 to 09-14) run on alone
 * for thousands of bars at the end, at the whole rate on one asset — a load no other part of the
 * run has, which then decided the tail. Gaps inside the window stay: there the others go on without
 * the silent symbol, as live. Fewer than `total` bars when the files end first.
 */
export async function loadBars(dataDir: string, venue: string, symbols: readonly string[], timeframe: string, from: number, total: number): Promise<Bar[]> {
  const files = findBarFiles(dataDir, { symbols, timeframe });
  const missing = symbols.filter((s) => !files.some((f) => f.symbol === s));
  if (missing.length > 0) throw new Error(`no ${timeframe} bar files for ${missing.join(', ')} under ${dataDir}/ohlcv`);
  const bySymbol: Bar[][] = [];
  for (const f of files) {
    const bars: Bar[] = [];
    for await (const b of readBars(f.path, { venue, symbol: f.symbol, tf: timeframe, from, limit: total })) bars.push(b);
    bySymbol.push(bars);
  }
  // Each symbol read up to `total` bars: up to the earliest of their last bars, every symbol is complete.
  const commonEnd = Math.min(...bySymbol.map((bars) => bars[bars.length - 1]?.ts ?? Number.NEGATIVE_INFINITY));
  const out: Bar[] = [];
  for await (const b of mergeByTime(...bySymbol)) {
    if (b.ts > commonEnd || out.length >= total) break;
    out.push(b);
  }
  return out;
}

/**
 * Latency load longer than the data: `bars` (a merged window, oldest first) followed by copies of
 * itself shifted in time, lap k by k × (the window's span + one bar), ids rebuilt for the new open
 * times, until there are `total`. The laps repeat real prices at later times, so they are load for
 * a latency measurement, not market data (a price jumps where one lap meets the next).
 */
export function lapBars(bars: readonly Bar[], total: number, barMs: number): { bars: Bar[]; laps: number } {
  const first = bars[0];
  const last = bars[bars.length - 1];
  if (first === undefined || last === undefined) throw new Error('no bars to lap');
  const shift = last.ts - first.ts + barMs;
  const out: Bar[] = bars.slice(0, total);
  for (let lap = 1; out.length < total; lap++) {
    for (const b of bars) {
      if (out.length >= total) break;
      const ts = b.ts + lap * shift;
      out.push({ ...b, ts, id: barId(b.venue, b.symbol, b.tf, ts) });
    }
  }
  return { bars: out, laps: Math.ceil(out.length / bars.length) - 1 };
}

export type Paced = Readonly<{ published: number; seconds: number }>;

/**
 * Calls `send(i)` for i = 0 … n−1 at `rate` a second, drift-free: call i is due at t0 + i/rate and
 * sent in a burst with the others due when a timer tick comes late. Resolves with the seconds taken.
 */
export async function paced(n: number, rate: number, send: (i: number) => void): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const wait = t0 + (i * 1000) / rate - performance.now();
    if (wait > 1) await sleep(wait);
    send(i);
  }
  return (performance.now() - t0) / 1000;
}

/**
 * Publishes `bars` at `rate` msgs/s ({@link paced}), calling `stamp` just before each publish (the
 * caller records its send time).
 */
export async function pacedPublish(bus: Bus, subjects: Subjects, bars: readonly Bar[], rate: number, stamp: (i: number, b: Bar) => void): Promise<Paced> {
  const failures: unknown[] = [];
  const acks: Promise<void>[] = [];
  const seconds = await paced(bars.length, rate, (i) => {
    const b = bars[i] as Bar;
    stamp(i, b);
    acks.push(bus.publish(subjects.bar(b.venue, b.symbol, b.tf), encode(b), { msgId: b.id }).then(() => undefined, (e: unknown) => void failures.push(e)));
  });
  await Promise.all(acks);
  if (failures.length > 0) throw new Error(`${failures.length} publishes failed, first: ${String(failures[0])}`);
  return { published: bars.length, seconds };
}

/** Waits until `value()` reached `target` and then stayed put for `quietMs` (or the deadline passed). */
export async function settle(value: () => number, target: number, quietMs: number, deadlineMs: number): Promise<boolean> {
  const deadline = performance.now() + deadlineMs;
  let last = -1;
  let since = performance.now();
  while (performance.now() < deadline) {
    const v = value();
    if (v !== last) {
      last = v;
      since = performance.now();
    } else if (v >= target && performance.now() - since >= quietMs) return true;
    await sleep(20);
  }
  return false;
}
