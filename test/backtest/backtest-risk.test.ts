import { describe, expect, it } from 'vitest';
import { logRiskStates } from '../../cli/commands/backtest-risk.js';
import { encode } from '../../streams/codec.js';
import { createMemoryBus } from '../../streams/memory-bus.js';
import type { RiskState } from '../../streams/messages/risk-state.js';

/** Core delivery on the memory bus is a microtask after the emit. */
const delivered = (): Promise<void> => new Promise((r) => setImmediate(r));

const state = (ts: number, previous: RiskState['state'], to: RiskState['state'], reason: string): RiskState => ({
  type: 'risk.state',
  v: 1,
  id: `rs:${ts}`,
  ts,
  account: 'backtest',
  state: to,
  previous,
  reason,
  scopedHalts: [],
});

describe("a backtest's log of trading-state changes", () => {
  it('keeps every announcement in order, as report transitions', async () => {
    const bus = createMemoryBus();
    const log = logRiskStates(bus, 'sxbt.risk.state');
    bus.emit('sxbt.risk.state', encode(state(Date.UTC(2022, 4, 9, 11), 'ACTIVE', 'REDUCING', 'DAILY_LOSS: loss 510 > 500')));
    bus.emit('sxbt.other', encode({ not: 'a risk state' }));
    bus.emit('sxbt.risk.state', encode(state(Date.UTC(2022, 4, 9, 19), 'REDUCING', 'HALTED', 'DRAWDOWN: drawdown 1502 > 1500')));
    await delivered();
    expect(log.transitions()).toEqual([
      { at: '2022-05-09T11:00:00.000Z', previous: 'ACTIVE', state: 'REDUCING', reason: 'DAILY_LOSS: loss 510 > 500' },
      { at: '2022-05-09T19:00:00.000Z', previous: 'REDUCING', state: 'HALTED', reason: 'DRAWDOWN: drawdown 1502 > 1500' },
    ]);
    expect(() => log.close()).not.toThrow();
    bus.emit('sxbt.risk.state', encode(state(Date.UTC(2022, 4, 10), 'HALTED', 'ACTIVE', 'operator')));
    await delivered();
    expect(log.transitions()).toHaveLength(2); // closed: no longer listening
    await bus.close();
  });

  it('throws nothing on an unreadable message (the bus would rethrow it as an uncaught error), and fails on close with it', async () => {
    const bus = createMemoryBus();
    const log = logRiskStates(bus, 'sxbt.risk.state');
    bus.emit('sxbt.risk.state', encode({ type: 'risk.state', v: 1, state: 'PANIC' }));
    bus.emit('sxbt.risk.state', new TextEncoder().encode('{not json'));
    bus.emit('sxbt.risk.state', encode(state(0, 'ACTIVE', 'HALTED', 'operator')));
    await delivered();
    expect(log.transitions()).toHaveLength(1);
    expect(() => log.close()).toThrow(/2 unreadable trading-state message\(s\) on sxbt\.risk\.state, the first: \{"type":"risk\.state","v":1,"state":"PANIC"\}/);
    await bus.close();
  });
});
