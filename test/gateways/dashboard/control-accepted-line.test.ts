import { describe, expect, it } from 'vitest';
import { engineControlTarget } from '../../../cli/engine-control.js';
import { acceptedLine } from '../../../gateways/dashboard/src/control-accepted.js';
import { createCounters } from '../../../state/counters.js';

const BTC_KEY = 'asset:binance:BTC/USDT';
const ETH_KEY = 'asset:binance:ETH/USDT';

/**
 * The dashboard's line for an accepted resume said "resume accepted" and nothing of what the
 * engine's reply says it did: the given-up asset actors it started again (`restarted`), or its
 * `note` that the decision path is not running (7df9b2e).
 */
describe('dashboard control: the line for an accepted command', () => {
  it('shows a resume in an engine serving no model: what it started again and the note', async () => {
    const target = engineControlTarget({
      supervisor: { status: () => [], halt: () => {}, resume: () => {}, restartGivenUp: () => [BTC_KEY], stop: async () => {} },
      counters: createCounters(),
      decisions: undefined,
      registry: undefined,
      known: { symbols: ['BTC/USDT'], strategies: ['dirmlp'] },
    });
    // As the page gets it: JSON over HTTP.
    const result: unknown = JSON.parse(JSON.stringify(await target.resume({ target: { scope: 'symbol', value: 'BTC/USDT' }, reason: 'store repaired' }, 'alice')));
    expect(acceptedLine('resume', 'BTC/USDT', result)).toBe(
      `resume BTC/USDT accepted; given-up asset actor started again: ${BTC_KEY}; the decision path is not running (no model served): nothing halted to resume; the given-up asset actors named in restarted were started again`,
    );
  });

  it('shows the trading state and the asset actors a resume started again', () => {
    expect(acceptedLine('resume', null, { changes: [], status: 'ACTIVE', restarted: [BTC_KEY, ETH_KEY] })).toBe(`resume accepted; trading state ACTIVE; given-up asset actors started again: ${BTC_KEY}, ${ETH_KEY}`);
    expect(acceptedLine('resume', null, { changes: [], status: 'ACTIVE', restarted: [] })).toBe('resume accepted; trading state ACTIVE');
    expect(acceptedLine('halt', 'BTC/USDT', { changes: [], status: 'ACTIVE' })).toBe('halt BTC/USDT accepted; trading state ACTIVE');
  });
});
