import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from 'commander';
import { operatorName } from '../../cli/commands/ctl.js';
import { ControlRequestSchema } from '../../gateways/control/control-messages.js';

/**
 * `sextant ctl --operator "   " limits set …` was carried out and audited with a blank operator:
 * the audit row's "who" named nobody. The engine now refuses a blank operator (BAD_REQUEST,
 * audited under `?` like any bad request) and the CLI refuses it before sending.
 */
describe('control requests: the operator', () => {
  const request = (operator: string) => ControlRequestSchema.safeParse({ v: 1, id: 'r1', operator, args: {} });

  it('the engine refuses a blank operator, as it refuses an empty one', () => {
    expect(request('').success).toBe(false);
    const blank = request('   ');
    expect(blank.success).toBe(false);
    expect(blank.error?.issues[0]?.message).toBe('blank: say who is asking');
    expect(request('carol').success).toBe(true);
  });

  it('the CLI refuses a blank --operator before sending', () => {
    expect(() => operatorName('  ')).toThrow(InvalidArgumentError);
    expect(() => operatorName('')).toThrow(/say who is asking/);
    expect(operatorName('carol')).toBe('carol');
  });
});
