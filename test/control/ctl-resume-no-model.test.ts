import { describe, expect, it } from 'vitest';
import type { Supervisor } from '../../actors/supervisor.js';
import { engineControlTarget } from '../../cli/engine-control.js';
import type { ControlTarget } from '../../gateways/control/control-target.js';
import { ControlErrorCode } from '../../gateways/control/control-messages.js';
import { createCounters } from '../../state/counters.js';

const BTC_KEY = 'asset:binance:BTC/USDT';

/** The control target of an engine serving no model (features only: `decisions` undefined). */
const featuresOnly = (restartGivenUp: Supervisor['restartGivenUp'] = () => []): ControlTarget =>
  engineControlTarget({
    supervisor: { status: () => [], halt: () => {}, resume: () => {}, restartGivenUp, stop: async () => {} },
    counters: createCounters(),
    decisions: undefined,
    registry: undefined,
    known: { symbols: ['BTC/USDT'], strategies: ['dirmlp'] },
  });

const NO_MODEL = /^the decision path is not running \(no model served\)/;

/**
 * In an engine serving no model, `ctl halt`, `reduce` and `limits` answered UNAVAILABLE but `ctl
 * resume` answered ok with `status: null` and no change, read as a resume carried out. It is
 * UNAVAILABLE with the same reason now; one that started given-up asset actors again (they run
 * without a model) is ok and says what it did in place of `status: null`.
 */
describe('sextant ctl resume in an engine serving no model', () => {
  it.each([
    ['all', { scope: 'all' as const }],
    ['a symbol', { scope: 'symbol' as const, value: 'BTC/USDT' }],
    ['a strategy', { scope: 'strategy' as const, value: 'dirmlp' }],
  ])('of %s is UNAVAILABLE, as halt is, when nothing was started again', async (_what, target) => {
    const t = featuresOnly();
    await expect(Promise.resolve().then(() => t.halt({ target, reason: 'drill' }, 'alice'))).rejects.toMatchObject({ code: ControlErrorCode.UNAVAILABLE, message: expect.stringMatching(NO_MODEL) });
    await expect(Promise.resolve().then(() => t.resume({ target, reason: '' }, 'alice'))).rejects.toMatchObject({
      code: ControlErrorCode.UNAVAILABLE,
      message: 'the decision path is not running (no model served): nothing halted to resume, and no given-up asset actor to start again',
    });
  });

  it('is ok when it started given-up asset actors again, and says so instead of status: null', async () => {
    const t = featuresOnly(() => [BTC_KEY]);
    const r = await t.resume({ target: { scope: 'symbol', value: 'BTC/USDT' }, reason: 'store repaired' }, 'alice');
    expect(r).toEqual({ changes: [], restarted: [BTC_KEY], note: expect.stringMatching(NO_MODEL) });
    expect(r).not.toHaveProperty('status');
  });
});
