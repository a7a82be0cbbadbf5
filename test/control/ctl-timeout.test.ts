import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { ctlCommand, MAX_CTL_TIMEOUT_MS } from '../../cli/commands/ctl.js';

/**
 * `sextant ctl --timeout 1e12 status` was taken: Node's timer cannot wait past 2^31 - 1 ms and
 * fired at once (TimeoutOverflowWarning), so the command gave up after 1 ms and said the engine
 * could not be reached (exit 3). A timeout over ten minutes is refused as a bad argument.
 */
describe('sextant ctl --timeout', () => {
  const parse = async (timeout: string): Promise<{ error: unknown; stderr: string; timeout: unknown }> => {
    const ctl = ctlCommand(() => undefined);
    let stderr = '';
    const quiet = (c: Command): void => {
      c.exitOverride().configureOutput({ writeErr: (s) => (stderr += s), writeOut: () => undefined });
      c.commands.forEach(quiet);
    };
    quiet(ctl);
    // `limits set` with a bad pair throws before anything is sent: the globals are parsed by then.
    try {
      await ctl.parseAsync(['--url', 'nats://127.0.0.1:1', '--timeout', timeout, 'limits', 'set', 'no-equals-sign'], { from: 'user' });
      return { error: undefined, stderr, timeout: ctl.opts<{ timeout: unknown }>().timeout };
    } catch (error) {
      return { error, stderr, timeout: ctl.opts<{ timeout: unknown }>().timeout };
    }
  };

  it.each(['1e12', '2147483648', String(MAX_CTL_TIMEOUT_MS + 1), '0', '-5', '1.5', 'abc', ''])('refuses %j before sending', async (v) => {
    const { error, stderr } = await parse(v);
    expect((error as { code?: string }).code).toBe('commander.invalidArgument');
    expect(stderr).toContain(`option '--timeout <ms>' argument '${v}' is invalid. an integer from 1 to ${MAX_CTL_TIMEOUT_MS}`);
  });

  it.each([['1', 1], ['5000', 5000], ['6e5', MAX_CTL_TIMEOUT_MS]])('takes %j', async (v, ms) => {
    const { stderr, timeout } = await parse(v);
    expect(stderr).not.toContain('--timeout');
    expect(timeout).toBe(ms);
  });
});
