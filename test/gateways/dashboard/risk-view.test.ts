import { describe, expect, it } from 'vitest';
import { riskView } from '../../../gateways/dashboard/src/risk-view.js';
import { RiskStateSchema } from '../../../streams/messages/risk-state.js';
import type { RiskState } from '../../../streams/messages/risk-state.js';

const change = (over: Partial<RiskState> = {}): RiskState =>
  RiskStateSchema.parse({
  type: 'risk.state',
  v: 1,
  id: 'rs:1',
  ts: Date.UTC(2024, 5, 1, 12),
  account: 'paper',
  previous: 'ACTIVE',
  state: 'HALTED',
  reason: 'operator halt',
  scopedHalts: [],
    ...over,
  });

describe('dashboard risk panel state', () => {
  it('shows the state of the book when the engine never changed state (no risk message at all)', () => {
    expect(riskView(null, { account: 'paper', state: 'ACTIVE' })).toEqual({ state: 'ACTIVE', line: 'paper: ACTIVE (no change of state seen)' });
    expect(riskView(null, null).state).toBe('UNKNOWN');
  });

  it('shows the last change with its reason while the book agrees, the book once it has moved on', () => {
    expect(riskView(change(), { account: 'paper', state: 'HALTED' })).toEqual({ state: 'HALTED', line: 'paper: ACTIVE → HALTED at 2024-06-01 12:00 UTC — operator halt' });
    expect(riskView(change(), null).state).toBe('HALTED');
    expect(riskView(change(), { account: 'paper', state: 'ACTIVE' }).state).toBe('ACTIVE');
  });
});
