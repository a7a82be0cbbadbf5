import { describe, expect, it } from 'vitest';
import { engineControlTarget } from '../../cli/engine-control.js';
import type { ControlTarget } from '../../gateways/control/control-target.js';
import { ControlErrorCode } from '../../gateways/control/control-messages.js';
import { createCounters } from '../../state/counters.js';

/** The control target of an engine serving no model (features only: `decisions` undefined). */
const featuresOnly = (): ControlTarget =>
  engineControlTarget({
    supervisor: { status: () => [], halt: () => {}, resume: () => {}, restartGivenUp: () => [], stop: async () => {} },
    counters: createCounters(),
    decisions: undefined,
    registry: undefined,
    known: { symbols: ['BTC/USDT'], strategies: ['dirmlp'] },
  });

const NO_MODEL = 'the decision path is not running (no model served)';

/**
 * In an engine serving no model, `ctl reduce` and `ctl limits get` answered UNAVAILABLE "nothing
 * to halt or limit", a halt's words: each verb now says what it has nothing to act on.
 */
describe('sextant ctl in an engine serving no model: UNAVAILABLE in each verb’s words', () => {
  it.each<[string, (t: ControlTarget) => unknown, string]>([
    ['halt', (t) => t.halt({ target: { scope: 'all' }, reason: 'drill' }, 'alice'), 'no order is decided, so nothing to halt'],
    ['reduce', (t) => t.reduce({ reason: 'drill' }, 'alice'), 'no order is decided, so no account to make reduce-only'],
    ['reduce --flatten', (t) => t.reduce({ reason: 'drill', flatten: true }, 'alice'), 'no order is decided, so no position to flatten'],
    ['limits get', (t) => t.getLimits(), 'no risk limits are in force to show'],
    ['limits set', (t) => t.setLimits({ maxDrawdownPct: 10 }, 'alice'), 'no risk limits are in force to change'],
  ])('%s', async (_verb, call, nothing) => {
    const t = featuresOnly();
    await expect(Promise.resolve().then(() => call(t))).rejects.toMatchObject({ code: ControlErrorCode.UNAVAILABLE, message: `${NO_MODEL}: ${nothing}` });
  });
});
