import type { Command } from 'commander';
import { afterEach, describe, expect, it } from 'vitest';
import { ctlCommand } from '../../cli/commands/ctl.js';

/**
 * `sextant ctl --help` printed the operator's NATS password: `--password` took
 * `$NATS_PASSWORD` as its default value, and commander shows a default in the help
 * (`(default: "hunter2")`), on a terminal, in a pasted help text or a CI log. The help now names
 * the variable, not its value, and the password is still read from it.
 */
describe('sextant ctl --password and NATS_PASSWORD', () => {
  const before = process.env['NATS_PASSWORD'];
  afterEach(() => {
    if (before === undefined) delete process.env['NATS_PASSWORD'];
    else process.env['NATS_PASSWORD'] = before;
  });

  /** The ctl tree with commander's exits turned into throws and its output kept. */
  const quietCtl = (): { ctl: Command; out: () => string } => {
    const ctl = ctlCommand(() => undefined);
    let out = '';
    const quiet = (c: Command): void => {
      c.exitOverride().configureOutput({ writeErr: (s) => (out += s), writeOut: (s) => (out += s) });
      c.commands.forEach(quiet);
    };
    quiet(ctl);
    return { ctl, out: () => out };
  };

  it('the help names NATS_PASSWORD but never shows its value', async () => {
    process.env['NATS_PASSWORD'] = 'hunter2-secret';
    const { ctl, out } = quietCtl();
    await ctl.parseAsync(['--help'], { from: 'user' }).catch(() => undefined);
    expect(out()).toContain('NATS_PASSWORD');
    expect(out()).toContain('--password <secret>');
    expect(out()).not.toContain('hunter2-secret');
  });

  it('still reads the password from NATS_PASSWORD, and --password wins over it', async () => {
    process.env['NATS_PASSWORD'] = 'from-env';
    // `limits set` with a bad pair throws before anything is sent: the globals are parsed by then.
    const a = quietCtl();
    await a.ctl.parseAsync(['--url', 'nats://127.0.0.1:1', 'limits', 'set', 'no-equals-sign'], { from: 'user' }).catch(() => undefined);
    expect(a.ctl.opts<{ password?: string }>().password).toBe('from-env');
    const b = quietCtl();
    await b.ctl.parseAsync(['--url', 'nats://127.0.0.1:1', '--password', 'from-flag', 'limits', 'set', 'no-equals-sign'], { from: 'user' }).catch(() => undefined);
    expect(b.ctl.opts<{ password?: string }>().password).toBe('from-flag');
    delete process.env['NATS_PASSWORD'];
    const c = quietCtl();
    await c.ctl.parseAsync(['--url', 'nats://127.0.0.1:1', 'limits', 'set', 'no-equals-sign'], { from: 'user' }).catch(() => undefined);
    expect(c.ctl.opts<{ password?: string }>().password).toBeUndefined();
  });
});
