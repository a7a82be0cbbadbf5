import { z } from 'zod';
import { TIMEFRAMES } from '../messages/bar.js';
import { RefusalReason } from '../messages/dlq-entry.js';
import type { MarketData } from '../messages/market-data.js';
import type { Refusal } from './refusal.js';
import { refuse } from './refusal.js';

export type TickGateOptions = Readonly<{ dedupWindow: number; outOfOrderToleranceMs: number }>;

/**
 * Plain JSON, part of the asset actor's snapshot: the remembered ids oldest first, and the
 * newest admitted event time per stream (`trade`, `quote`, `bar.<tf>`).
 */
export const TickGateStateSchema = z
  .object({
    ids: z.array(z.string()),
    last: z.record(z.string(), z.number().refine(Number.isFinite, { message: 'must be a finite number' })),
  })
  .readonly();
export type TickGateState = Readonly<{ ids: readonly string[]; last: Readonly<Record<string, number>> }>;

export type TickGate = Readonly<{
  /** Why `msg` must be refused, or undefined. Changes nothing, so a refused message leaves no trace. */
  check(msg: MarketData): Refusal | undefined;
  /** Records a message that passed {@link TickGate.check} and was applied. */
  admit(msg: MarketData): void;
  toState(): TickGateState;
}>;

const BAR_KEY: Readonly<Record<string, string>> = Object.fromEntries(TIMEFRAMES.map((tf) => [tf, `bar.${tf}`]));
const streamKey = (msg: MarketData): string => (msg.type === 'md.trade' ? 'trade' : msg.type === 'md.quote' ? 'quote' : (BAR_KEY[msg.tf] ?? `bar.${msg.tf}`));

/**
 * The stateful half of edge validation, one per asset. DUPLICATE: an id among the last
 * `dedupWindow` admitted ones (a ring buffer and a Set). OUT_OF_ORDER: per stream — a trade or
 * quote more than `outOfOrderToleranceMs` older than the newest of its kind (venues interleave
 * a little), a bar not after the last bar of its timeframe (one bar per open time, so a second
 * bar with the same open time and another id is a conflicting revision, not a new bar).
 * DUPLICATE wins over OUT_OF_ORDER: a redelivery is the likelier story.
 *
 * Only what is admitted is remembered, so a refused message changes nothing; the state is part
 * of the actor's snapshot, so a restarted actor refuses exactly what the old one would have.
 *
 * @example
 * const refusal = gate.check(msg);
 * if (refusal === undefined) { gate.admit(msg); engine.apply(msg); } else toDlq(refusal);
 */
export function createTickGate(opts: TickGateOptions, state?: TickGateState): TickGate {
  const cap = opts.dedupWindow;
  if (!Number.isSafeInteger(cap) || cap < 1) throw new RangeError(`dedupWindow must be a positive integer, got ${cap}`);
  const tolerance = opts.outOfOrderToleranceMs;
  if (!(tolerance >= 0 && tolerance < Infinity)) throw new RangeError(`outOfOrderToleranceMs must be finite and >= 0, got ${tolerance}`);

  const ring = new Array<string>(cap);
  const seen = new Set<string>();
  let head = 0; // next slot to write
  let size = 0;
  const last = new Map<string, number>(Object.entries(state?.last ?? {}));

  const remember = (id: string): void => {
    if (size === cap) seen.delete(ring[head] as string);
    else size++;
    ring[head] = id;
    seen.add(id);
    head = head + 1 === cap ? 0 : head + 1;
  };
  // Into a smaller window, the newest ids survive.
  for (const id of (state?.ids ?? []).slice(-cap)) remember(id);

  return {
    check(msg) {
      if (seen.has(msg.id)) return refuse(RefusalReason.DUPLICATE, `id ${msg.id} already seen`);
      const prev = last.get(streamKey(msg));
      if (prev === undefined) return undefined;
      if (msg.type === 'md.bar') {
        if (msg.ts <= prev) return refuse(RefusalReason.OUT_OF_ORDER, `bar at ${msg.ts} is not after the last ${msg.tf} bar at ${prev}`);
      } else if (msg.ts < prev - tolerance) {
        return refuse(RefusalReason.OUT_OF_ORDER, `${msg.ts} is ${prev - msg.ts} ms before the newest ${streamKey(msg)} (tolerance ${tolerance} ms)`);
      }
      return undefined;
    },
    admit(msg) {
      remember(msg.id);
      const k = streamKey(msg);
      const prev = last.get(k);
      if (prev === undefined || msg.ts > prev) last.set(k, msg.ts);
    },
    toState() {
      const ids: string[] = [];
      for (let i = 0; i < size; i++) ids.push(ring[(head - size + i + cap) % cap] as string);
      return { ids, last: Object.fromEntries(last) };
    },
  };
}

/**
 * A gate restored from {@link TickGate.toState} output that went through JSON (a snapshot in
 * Redis): validated first, so a corrupt snapshot fails here, loudly, instead of as odd refusals.
 * Restoring with the same options is an exact round trip.
 */
export function tickGateFromState(state: unknown, opts: TickGateOptions): TickGate {
  return createTickGate(opts, TickGateStateSchema.parse(state));
}
