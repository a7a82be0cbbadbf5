import { describe, expect, it } from 'vitest';
import type { Expiry } from '../../streams/messages/expiry.js';
import { HOUR, liveOrderPath, SYMBOL, T0, VENUE } from './live-order-path.js';

/** Whether `p` has settled after the event loop turned a few times. */
async function settledYet(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  void p.then(
    () => (done = true),
    () => (done = true),
  );
  for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
  return done;
}

/**
 * A live desk's report (the paper venue off) is acknowledged once a risk write covering it is
 * stored, and nothing is decided on top of it before: a crash in between redelivers it with no
 * output in the streams that depended on it, so a restart can apply it after the events the first
 * run decided before it (cli/decisions.ts holds it during the recovery).
 */
describe('decision path: live reports and the risk writes that cover them', () => {
  async function world() {
    let decided = 0;
    /** The risk writes are stored only once `land` is called (each write that waits then). */
    let gate: { promise: Promise<void>; open: () => void } | undefined;
    const close = (): void => {
      let open = (): void => {};
      gate = { promise: new Promise<void>((r) => (open = r)), open };
    };
    const w = await liveOrderPath({
      observer: { event: () => void decided++ },
      persistRisk: () => () => gate?.promise ?? Promise.resolve(),
    });
    return { ...w, decided: () => decided, close, land: () => gate?.open() };
  }

  it('decides no release on top of a live fill before the write covering the fill is stored', async () => {
    const w = await world();
    w.close();
    const filled = w.path.onExternalFill(w.fill(0.5));
    const released = w.path.onRelease([w.trade(1, T0 + 2)]);
    // The fill's write is not stored: it is not acknowledged, and the release waits.
    expect(await settledYet(filled)).toBe(false);
    expect(w.decided()).toBe(0);
    w.land();
    await filled;
    await (await released).settled;
    expect(w.decided()).toBe(1);
    await w.bus.close();
  });

  it("acknowledges an expiry of a lapsed order only once the risk state it was judged on is stored", async () => {
    const w = await world();
    // Past the order's expiresAt and the grace after it: the risk book lets it go unreported (at
    // its next suggestion, here one of another strategy's), the write of that not stored yet.
    w.close();
    const released = await w.path.onRelease([w.trade(1, T0 + 2 * HOUR)]);
    const now = T0 + 2 * HOUR;
    w.risk.onSuggestion(
      { type: 'exec.suggest', v: 1, id: 's:other:0', ts: now, strategy: 'other', venue: VENUE, symbol: SYMBOL, parentId: 'p1', source: 'pr1', policy: 'twap', side: 'buy', qty: 0.001, orderType: 'market', refPrice: 42_000, limitPrice: null, limitOffsetBps: 0, ttlMs: 1_000, child: 0, children: 1 },
      now,
    );
    expect(w.risk.expirable('o:live')).toBe(false);
    const expiry: Expiry = { type: 'exec.expired', v: 1, id: 'e:o:live', ts: T0 + HOUR, orderId: 'o:live', strategy: 's1', venue: VENUE, symbol: SYMBOL, filledQty: 0, remainingQty: 0.5, reason: 'venue' };
    const applied = w.path.onExternalExpiry(expiry);
    // Acknowledged now, a crash before the release's write lands loses it: the restart would count
    // the order released unreported (lapsed) where the first run counted it expired.
    expect(await settledYet(applied)).toBe(false);
    w.land();
    await released.settled;
    expect(await applied).toBeUndefined();
    expect(w.path.stats().expired).toBe(1);
    await w.bus.close();
  });

  it('acknowledges an expiry repeating a final fill only once that fill is stored', async () => {
    const w = await world();
    w.close();
    // Final, half filled: the order expired with it.
    const filled = w.path.onExternalFill(w.fill(0.25));
    const expiry: Expiry = { type: 'exec.expired', v: 1, id: 'e:o:live', ts: T0 + 2, orderId: 'o:live', strategy: 's1', venue: VENUE, symbol: SYMBOL, filledQty: 0.25, remainingQty: 0.25, reason: 'venue' };
    const confirmed = w.path.onExternalExpiry(expiry);
    expect(await settledYet(confirmed)).toBe(false);
    w.land();
    await filled;
    expect(await confirmed).toBeUndefined();
    expect(w.path.stats().expiriesConfirming).toBe(1);
    await w.bus.close();
  });
});
