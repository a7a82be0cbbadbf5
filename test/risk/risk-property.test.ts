import { describe, expect, it } from 'vitest';
import { createRiskCore } from '../../models/risk/risk-core.js';
import type { RiskDecision } from '../../models/risk/risk-core.js';
import type { RiskLimitsInput } from '../../models/risk/risk-limits.js';
import type { Fill } from '../../streams/messages/fill.js';
import { RiskReason } from '../../streams/messages/risk-reason.js';
import type { Suggestion } from '../../streams/messages/suggestion.js';
import { mulberry32 } from '../models/mulberry32.js';

/**
 * Property test: a seeded stream of market data, fills, operator commands and 100,000
 * suggestions generated around the limits. An oracle written independently here — plain
 * loops, cash-flow PnL instead of average cost — computes the reasons each suggestion must be
 * refused for; the core must give exactly that set (so no out-of-limit suggestion passes, no
 * in-limit one is refused, and every reason is the right one). Prices, quantities and fees are
 * integers so the oracle's sums are exact; the loss limits sit half a unit off the grid.
 * One suggestion in twenty is decided late, at a time before the stream's (live: an event the
 * sequencer releases late, or another strategy's suggestion overtaken on the way): its order lands
 * among those approved after it in time, and the throttle holds it to every window it falls in.
 * No expiry is ever reported: an order counts in flight until its `expiresAt` and the grace after
 * it (`unreportedExpiryGraceMs`) pass, and the releases then are counted as the oracle counts them.
 */
const SUGGESTIONS = 100_000;
const DAY = 86_400_000;
const T0 = Date.UTC(2026, 10, 30, 22, 30);
const V = 'binance';
const BASE: Record<string, number> = { 'BTC/USDT': 200, 'ETH/USDT': 100, 'SOL/USDT': 50, 'DOGE/USDT': 20, 'XRP/USDT': 10 };
const QUOTED = ['BTC/USDT', 'ETH/USDT', 'SOL/USDT', 'DOGE/USDT']; // XRP never gets market data
const SYMS = Object.keys(BASE);
const limits = {
  allowlist: ['BTC/USDT', 'ETH/USDT', 'SOL/USDT', 'XRP/USDT'],
  maxOrderQty: { default: 5, perSymbol: { 'BTC/USDT': 3 } },
  maxOrderNotional: 500,
  minOrderNotional: 60, // refuses one SOL (≈ 50), and DOGE or XRP in small sizes
  collarBps: 100,
  maxPositionQty: { default: 8, perSymbol: { 'BTC/USDT': 6 } },
  maxGrossNotional: 2_000,
  maxOrdersPerWindow: 4,
  windowMs: 1_000,
  staleAfterMs: 3_000,
  maxDailyLoss: 150.5,
  maxDrawdown: 400.5,
} satisfies RiskLimitsInput;
const ORDER = Object.values(RiskReason);

type Live = { id: string; sym: string; side: 'buy' | 'sell'; remaining: number; expiresAt: number; final: boolean; released: boolean };

describe('risk core property', () => {
  // `halt`: a loss-limit breach halts at once. `flatten`: it goes REDUCING while execution closes
  // the positions, and halts once nothing is left (no order in flight, no position worth the
  // venue's least order); operators also reduce with and without `flatten` in both.
  // The grace for an unreported expiry: none (released at expiresAt), and one of the TTLs' scale
  // (orders in it hold the position and exposure limits, and keep a flattening account from FLAT).
  it.each([
    ['halt', 20261130, 0],
    ['flatten', 20261130, 0],
    ['flatten', 20261201, 1_500],
  ] as const)(`gives exactly the expected reasons for ${SUGGESTIONS.toLocaleString('en')} generated suggestions (onBreach: %s, seed %i, unreportedExpiryGraceMs: %i)`, (onBreach, seed, grace) => {
    const rng = mulberry32(seed);
    const opRng = mulberry32(seed + 1);
    // Drawn apart from the main stream too: which suggestions are late, and by how much.
    const lateRng = mulberry32(seed + 2);
    const int = (lo: number, hi: number): number => lo + Math.floor(rng() * (hi - lo + 1));
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)] as T;
    const core = createRiskCore({ account: 'prop', limits: { ...limits, onBreach, unreportedExpiryGraceMs: grace }, dedupWindowMs: Number.MAX_SAFE_INTEGER });

    // ---- the oracle's own state
    const mids = new Map<string, { mid: number; ts: number }>();
    const lastFill = new Map<string, number>();
    const pos = new Map<string, number>();
    let cash = 0;
    const orders: Live[] = [];
    const orderTimes: number[] = [];
    const seen: { s: Suggestion; d: RiskDecision }[] = [];
    let state: 'ACTIVE' | 'REDUCING' | 'HALTED' = 'ACTIVE';
    let flattening = false;
    let maxDrawdown: number = limits.maxDrawdown;
    let flattened = 0;
    let breachFlattens = 0;
    const haltedStrategies = new Set<string>();
    const haltedSymbols = new Set<string>();
    let day: number | null = null;
    let dayStart = 0;
    let peak = 0;
    /** The latest time the book expired orders at: it never takes an expiry back for a late suggestion. */
    let expiredAt = Number.NEGATIVE_INFINITY;
    /** Orders the book let go unreported, their expiresAt and grace past (`releasedAfterGrace`). */
    let released = 0;
    /** Whether an order still counts in flight: not done, and its `expiresAt` and grace not past the time the book expired at. */
    const counted = (o: Live): boolean => !o.final && o.remaining > 0 && o.expiresAt + grace > expiredAt;
    /** The book expires orders at `t` (a suggestion's check; a mark or fill while flattening). */
    const expireTo = (t: number): void => {
      expiredAt = Math.max(expiredAt, t);
      for (const o of orders) {
        if (o.released || o.final || o.remaining <= 0 || o.expiresAt + grace > expiredAt) continue;
        o.released = true;
        released++;
      }
    };
    const price = (sym: string): number | undefined => mids.get(sym)?.mid ?? lastFill.get(sym);
    const equity = (): number => {
      let e = cash;
      for (const [sym, q] of pos) e += q === 0 ? 0 : q * (price(sym) as number);
      return e;
    };
    const roll = (ts: number): void => {
      if (day === null || Math.floor(ts / DAY) > day) {
        day = Math.floor(ts / DAY);
        dayStart = equity();
      }
    };
    const breach = (): { daily: boolean; dd: boolean } => {
      const b = { daily: dayStart - equity() > limits.maxDailyLoss, dd: peak - equity() > maxDrawdown };
      // A flattening account stays flattening through a breach; otherwise HALTED, or under
      // `flatten` REDUCING and flattening.
      if ((b.daily || b.dd) && state !== 'HALTED' && !flattening) {
        if (onBreach === 'flatten') {
          state = 'REDUCING';
          flattening = true;
          breachFlattens++;
        } else state = 'HALTED';
      }
      return b;
    };
    /** After a fill or a mark: a flattening account with no live order and nothing worth the least order halts. */
    const haltWhenFlat = (): void => {
      if (!flattening) return;
      expireTo(now);
      if (orders.some(counted)) return;
      for (const [sym, q] of pos) if (q !== 0 && Math.abs(q) * (price(sym) ?? 0) >= limits.minOrderNotional) return;
      state = 'HALTED';
      flattening = false;
      flattened++;
    };

    const counts = new Map<string, number>();
    let now = T0;
    let approved = 0;
    let replays = 0;
    let late = 0;
    let n = 0;
    let id = 0;
    while (n < SUGGESTIONS) {
      now += rng() < 0.003 ? 3_500 : rng() < 0.0002 ? 3 * 3_600_000 : int(0, 150);
      const r = rng();
      if (r < 0.25) {
        // market data: a bounded random walk, with an occasional jump
        const sym = pick(QUOTED);
        const base = BASE[sym] as number;
        const cur = mids.get(sym)?.mid ?? base;
        const step = rng() < 0.02 ? int(-base / 5, base / 5) : int(-2, 2);
        const mid = Math.min(Math.round(base * 1.3), Math.max(Math.round(base * 0.7), cur + step));
        roll(now - 1); // a mark at midnight closes the day before (risk-core onMarket)
        mids.set(sym, { mid, ts: now });
        peak = Math.max(peak, equity());
        breach();
        haltWhenFlat();
        core.onMarket({ venue: V, symbol: sym, ts: now, mid });
        expect(core.state()).toBe(state);
      } else if (r < 0.42) {
        // a fill of a recent order (possibly expired: late fills happen)
        const open = orders.filter((o) => !o.final).slice(-20);
        if (open.length === 0) continue;
        const o = pick(open);
        const qty = rng() < 0.5 ? o.remaining : int(1, o.remaining);
        // Fills a little better than the mid on average, so equity drifts up and the loss limits
        // trip on price jumps rather than staying breached for the rest of the run.
        const px = Math.max(1, (price(o.sym) as number) + (o.side === 'buy' ? int(-2, 1) : int(-1, 2)));
        const fee = rng() < 0.1 ? 1 : 0;
        const final = qty === o.remaining || rng() < 0.1;
        const f: Fill = {
          type: 'exec.fill', v: 1, id: `x:${o.id}:${++id}`, ts: now, orderId: o.id, strategy: 'alpha', venue: V, symbol: o.sym,
          side: o.side, qty, price: px, fee, liquidity: 'taker', slippageBps: 0, final,
        };
        roll(now);
        const d = o.side === 'buy' ? qty : -qty;
        pos.set(o.sym, (pos.get(o.sym) ?? 0) + d);
        cash -= d * px + fee;
        lastFill.set(o.sym, px);
        o.remaining -= qty;
        o.final = final || o.remaining === 0;
        peak = Math.max(peak, equity());
        breach();
        haltWhenFlat();
        core.onFill(f);
        expect(core.state()).toBe(state);
      } else if (r < 0.43) {
        // operator commands
        const c = rng();
        const reason = 'op';
        if (c < 0.1) {
          core.halt({ scope: 'all', reason, ts: now });
          state = 'HALTED';
          flattening = false;
        } else if (c < 0.25) {
          // Drawn apart from the main stream, so the `halt` run's stream is the one it always was.
          const flatten = onBreach === 'flatten' && opRng() < 0.3;
          core.reduce({ reason, ts: now, flatten });
          state = 'REDUCING';
          flattening = flatten;
        } else if (c < 0.35) {
          core.halt({ scope: 'strategy', value: 'beta', reason, ts: now });
          haltedStrategies.add('beta');
        } else if (c < 0.45) {
          core.halt({ scope: 'symbol', value: 'SOL/USDT', reason, ts: now });
          haltedSymbols.add('SOL/USDT');
        } else if (c < 0.55) {
          core.resume({ scope: 'strategy', value: 'beta', reason, ts: now });
          haltedStrategies.delete('beta');
          roll(now);
          breach();
        } else if (c < 0.65) {
          core.resume({ scope: 'symbol', value: 'SOL/USDT', reason, ts: now });
          haltedSymbols.delete('SOL/USDT');
          roll(now);
          breach();
        } else {
          // Under `flatten` a drawdown, locked in by closing, lasts until the operator moves the
          // limit (equity only climbs back by trading): half the time they raise it before resuming.
          if (onBreach === 'flatten' && opRng() < 0.5 && peak - equity() > maxDrawdown) {
            maxDrawdown = peak - equity() + limits.maxDrawdown;
            core.setLimits({ maxDrawdown });
          }
          core.resume({ scope: 'all', reason, ts: now });
          state = 'ACTIVE';
          flattening = false;
          roll(now);
          breach();
        }
        expect(core.state()).toBe(state);
      } else {
        n++;
        const prev = seen.length > 0 && rng() < 0.03 ? seen[seen.length - 1 - int(0, Math.min(seen.length - 1, 500))] : undefined;
        if (prev !== undefined && rng() < 0.5) {
          // an identical redelivery: the earlier decision, unchanged (the book expires orders first)
          const d = core.onSuggestion(prev.s, now);
          expireTo(now);
          expect(d.replay).toBe(true);
          expect(d.kind === 'order' ? d.order : d.reject).toEqual(prev.d.kind === 'order' ? prev.d.order : prev.d.reject);
          replays++;
          continue;
        }
        const sym = rng() < 0.06 ? pick(SYMS) : pick(['BTC/USDT', 'ETH/USDT', 'SOL/USDT']);
        const mid = mids.get(sym)?.mid ?? BASE[sym] as number;
        const side = rng() < 0.5 ? 'buy' : 'sell';
        const qty = int(1, 7);
        const market = rng() < 0.2;
        const off = rng() < 0.7 ? 0 : int(-3, 3);
        const ref = mid + (market ? off : 0);
        let limitPrice: number | null = market ? null : Math.max(1, mid + off);
        const orderType: 'limit' | 'market' = market ? 'market' : 'limit';
        if (rng() < 0.005) limitPrice = market ? mid : null; // inconsistent order type and price
        // Decided late: up to a rate window before the stream's time (the book counts that exactly).
        const t = lateRng() < 0.05 ? now - 1 - Math.floor(lateRng() * limits.windowMs) : now;
        const s: Suggestion = {
          type: 'exec.suggest', v: 1, id: prev !== undefined ? prev.s.id : `s:${++id}:0`, ts: t, strategy: rng() < 0.8 ? 'alpha' : 'beta',
          venue: V, symbol: sym, parentId: `p${id}`, source: `pr${id}`, policy: 'twap', side, qty, orderType, refPrice: ref, limitPrice,
          limitOffsetBps: 0, ttlMs: int(200, 4_000), child: 0, children: 1,
        };

        // ---- the oracle's expected reasons
        roll(t);
        const b = breach();
        const want = new Set<string>();
        const m = mids.get(sym);
        if ((orderType === 'limit') !== (limitPrice !== null)) want.add('INVALID_SUGGESTION');
        if (!(limits.allowlist as readonly string[]).includes(sym)) want.add('SYMBOL_NOT_ALLOWED');
        const maxQty = sym === 'BTC/USDT' ? 3 : 5;
        if (qty > maxQty) want.add('MAX_ORDER_QTY');
        if (qty * (limitPrice ?? m?.mid ?? ref) > limits.maxOrderNotional) want.add('MAX_ORDER_NOTIONAL');
        if (qty * (limitPrice ?? m?.mid ?? ref) < limits.minOrderNotional) want.add('MIN_ORDER_NOTIONAL');
        if (m !== undefined && Math.abs((limitPrice ?? ref) - m.mid) * 10_000 > limits.collarBps * m.mid) want.add('PRICE_COLLAR');
        expireTo(t);
        const live = orders.filter(counted);
        const inFlight = (x: string, sd: string): number => live.filter((o) => o.sym === x && o.side === sd).reduce((a, o) => a + o.remaining, 0);
        const p = pos.get(sym) ?? 0;
        const buys = inFlight(sym, 'buy');
        const sells = inFlight(sym, 'sell');
        const maxPos = sym === 'BTC/USDT' ? 6 : 8;
        if (side === 'buy' ? p + buys + qty > maxPos : p - sells - qty < -maxPos) want.add('POSITION_LIMIT');
        const gross = (extra: boolean): number => {
          let g = 0;
          for (const x of SYMS) {
            const px = price(x) ?? (extra && x === sym ? ref : 0);
            const q = pos.get(x) ?? 0;
            const bb = inFlight(x, 'buy') + (extra && x === sym && side === 'buy' ? qty : 0);
            const ss = inFlight(x, 'sell') + (extra && x === sym && side === 'sell' ? qty : 0);
            g += Math.max(Math.abs(q + bb), Math.abs(q - ss)) * px;
          }
          return g;
        };
        const g1 = gross(true);
        if (g1 > limits.maxGrossNotional && g1 > gross(false)) want.add('GROSS_EXPOSURE');
        // Every window that an order at `t` falls in: the one ending at `t`, and (late) those ending at
        // a later order's time. Order times are pushed in stream order, each at most a window before
        // the stream's time then: from the newest back, those before one two windows before `t` are
        // in none of them.
        const near: number[] = [];
        for (let i = orderTimes.length - 1; i >= 0 && (orderTimes[i] as number) > t - 2 * limits.windowMs; i--) near.push(orderTimes[i] as number);
        const inWindow = (end: number): number => near.filter((x) => x > end - limits.windowMs && x <= end).length;
        let rate = inWindow(t);
        for (const end of near) if (end > t && end - limits.windowMs < t) rate = Math.max(rate, inWindow(end));
        if (rate >= limits.maxOrdersPerWindow) want.add('ORDER_RATE');
        if (m === undefined) want.add('NO_MARKET_DATA');
        else if (t - m.ts > limits.staleAfterMs) want.add('STALE_MARKET_DATA');
        if (prev !== undefined) want.add('DUPLICATE_SUGGESTION');
        const reducing = side === 'buy' ? p < 0 && buys + qty <= -p : p > 0 && sells + qty <= p;
        // A breached loss limit refuses what adds exposure; what reduces is the trading state's call.
        if (b.daily && !reducing) want.add('DAILY_LOSS');
        if (b.dd && !reducing) want.add('DRAWDOWN');
        if (state === 'HALTED' || haltedStrategies.has(s.strategy) || haltedSymbols.has(sym)) want.add('HALTED');
        else if (state === 'REDUCING' && !reducing) want.add('REDUCING_ONLY');
        const expected = ORDER.filter((x) => want.has(x));

        const d = core.onSuggestion(s, t);
        const got = d.kind === 'reject' ? [...d.reject.reasons] : [];
        if (JSON.stringify(got) !== JSON.stringify(expected)) {
          throw new Error(`suggestion #${n} ${JSON.stringify(s)}: expected [${expected.join(',')}], got [${got.join(',')}] (${d.kind === 'reject' ? d.reject.detail : 'order'})`);
        }
        for (const x of expected) counts.set(x, (counts.get(x) ?? 0) + 1);
        if (d.kind === 'order') {
          approved++;
          expect(d.order.reducing).toBe(reducing);
          // An order counts from the mark's time when that is later (risk-book existsFrom): a late one's mark may be.
          orders.push({ id: d.order.id, sym, side, remaining: qty, expiresAt: Math.max(t, mids.get(sym)?.ts ?? t) + s.ttlMs, final: false, released: false });
          orderTimes.push(t);
          late += t < now ? 1 : 0;
        }
        if (prev === undefined) seen.push({ s, d });
        if (n % 1_000 === 0) {
          // Orders done, or let go a minute ago (released: `expireTo` ran at this suggestion), can no longer fill here: drop them from the oracle's list.
          const keep = orders.filter((o) => !o.final && o.expiresAt + grace >= now - 60_000);
          orders.length = 0;
          orders.push(...keep);
        }
      }
    }
    // Every reason was exercised, and plenty of suggestions passed.
    const summary = Object.fromEntries(ORDER.map((x) => [x, counts.get(x) ?? 0]));
    console.log(`risk property (onBreach: ${onBreach}, grace ${grace} ms): ${SUGGESTIONS} suggestions, ${approved} approved, ${replays} identical redeliveries, ${late} approved late, ${released} released after the grace, ${breachFlattens} breaches flattening, ${flattened} flattened to HALTED, days ${((now - T0) / DAY).toFixed(1)}`, summary);
    for (const x of ORDER) expect(counts.get(x) ?? 0, x).toBeGreaterThan(50);
    // (`flatten` spends long stretches reducing: 9,853 approved with this seed.)
    expect(approved).toBeGreaterThan(SUGGESTIONS / 12);
    expect(late).toBeGreaterThan(approved / 40);
    expect(core.status().flattening).toBe(flattening);
    // Flattened accounts halting by themselves (only `flatten` has them).
    if (onBreach === 'flatten') {
      expect(flattened).toBeGreaterThan(10);
      expect(breachFlattens).toBeGreaterThan(5);
    } else expect(flattened + breachFlattens).toBe(0);
    // Every order no report ended was let go once its expiresAt and grace passed, counted once each.
    expect(core.releasedAfterGrace()).toBe(released);
    expect(released).toBeGreaterThan(approved / 10);
  }, 60_000);
});
