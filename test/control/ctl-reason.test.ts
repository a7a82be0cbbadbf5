import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { auditReason, ctlCommand } from '../../cli/commands/ctl.js';

/**
 * `sextant ctl retrain pause --reason ''` (and trigger, halt, reduce) sent a reason the engine's
 * schema refuses (empty, or over 500 characters); with no engine answering it read as "no
 * responder … is the engine running" (exit 3) instead of a bad argument. It is refused locally.
 */
describe('sextant ctl --reason', () => {
  /** The ctl tree with commander's exits turned into throws and its output kept; NATS on a closed port. */
  const parse = async (args: string[]): Promise<{ error: unknown; stderr: string }> => {
    const ctl = ctlCommand(() => undefined);
    let stderr = '';
    const quiet = (c: Command): void => {
      c.exitOverride().configureOutput({ writeErr: (s) => (stderr += s), writeOut: () => undefined });
      c.commands.forEach(quiet);
    };
    quiet(ctl);
    try {
      await ctl.parseAsync(['--url', 'nats://127.0.0.1:1', '--timeout', '200', ...args], { from: 'user' });
      return { error: undefined, stderr };
    } catch (error) {
      return { error, stderr };
    }
  };

  it.each([
    [['retrain', 'pause', '--reason', '']],
    [['retrain', 'pause', '--reason', '   ']],
    [['retrain', 'trigger', '--reason', '']],
    [['halt', '--reason', '']],
    [['reduce', '--reason', ' ']],
  ])('refuses a blank reason before sending: %j', async (args) => {
    const { error, stderr } = await parse(args);
    expect((error as { code?: string }).code).toBe('commander.invalidArgument');
    expect(stderr).toContain("option '--reason <text>' argument");
    expect(stderr).toContain('say why, for the audit trail (it is empty)');
  });

  it.each([[['model', 'deploy', 'direction-mlp', '2']], [['model', 'rollback', 'direction-mlp']]])('refuses an empty, blank or overlong reason of %j before sending', async (command) => {
    for (const [bad, message] of [['', 'say why, for the audit trail (it is empty)'], ['   ', 'say why, for the audit trail (it is empty)'], ['x'.repeat(501), 'at most 500 characters, got 501']] as const) {
      const { error, stderr } = await parse([...command, '--reason', bad]);
      expect((error as { code?: string }).code).toBe('commander.invalidArgument');
      expect(stderr).toContain("option '--reason <text>' argument");
      expect(stderr).toContain(message);
    }
  });

  it.each([[['halt']], [['halt', '--symbol', 'BTC/USDT']], [['reduce']], [['reduce', '--flatten']], [['retrain', 'pause']]])('requires a reason: %j', async (args) => {
    const { error, stderr } = await parse(args);
    expect((error as { code?: string }).code).toBe('commander.missingMandatoryOptionValue');
    expect(stderr).toContain("required option '--reason <text>' not specified");
  });

  it('refuses a reason over 500 characters, also on resume where it may be left out', async () => {
    const long = 'x'.repeat(501);
    for (const args of [['retrain', 'trigger', '--reason', long], ['retrain', 'resume', '--reason', long], ['resume', '--reason', long]]) {
      const { error, stderr } = await parse(args);
      expect((error as { code?: string }).code).toBe('commander.invalidArgument');
      expect(stderr).toContain('at most 500 characters, got 501');
    }
  });

  it('keeps a reason the engine accepts as given', () => {
    expect(auditReason('exchange incident')).toBe('exchange incident');
    expect(auditReason('x'.repeat(500))).toHaveLength(500);
  });
});
