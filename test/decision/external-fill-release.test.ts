import { describe, expect, it } from 'vitest';
import type { RiskCore } from '../../models/risk/risk-core.js';
import { liveOrderPath, SYMBOL, T0 } from './live-order-path.js';

/**
 * Fills reported by live trading consumers (no paper venue) come between releases. One that
 * arrived while a long release was decided slice by slice was applied half-way through it, and
 * its prompt risk write stored the state of half a release.
 */
describe('decision path: an external fill during a release', () => {
  it('is applied after the release, and no risk write holds half a release', async () => {
    let decidedEvents = 0;
    const captures: { events: number; position: number }[] = [];
    const position = (risk: RiskCore): number => risk.status().positions.find((p) => p.symbol === SYMBOL)?.qty ?? 0;
    const { bus, risk, path, trade, fill } = await liveOrderPath({
      observer: { event: () => void decidedEvents++ },
      persistRisk: (r) => {
        captures.push({ events: decidedEvents, position: position(r) });
        return () => Promise.resolve();
      },
    });
    const events = Array.from({ length: 700 }, (_, i) => trade(i + 1, T0 + i));

    const released = path.onRelease(events); // 700 events: three slices with a yield between them
    const filled = path.onExternalFill(fill(0.5)); // arrives while the first slice is decided
    await Promise.all([released.then((r) => r?.settled), filled]);

    expect(decidedEvents).toBe(700);
    expect(position(risk)).toBe(0.5);
    // Every write was of a whole release: after all 700 events (the fill's one with the fill in it).
    expect(captures.length).toBeGreaterThan(0);
    for (const c of captures) expect(c.events).toBe(700);
    expect(captures.at(-1)).toEqual({ events: 700, position: 0.5 });
    await bus.close();
  });
});
