import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { controlName, ctlCommand, scopeSymbol } from '../../cli/commands/ctl.js';

/**
 * `sextant ctl halt --strategy '' --reason x` (and a model name or alias the engine's schema
 * refuses, or a blank --symbol) was sent anyway; with no engine answering it read as "no
 * responder … is the engine running" (exit 3) instead of a bad argument. Refused locally now.
 */
describe('sextant ctl names: --strategy, --symbol, a model <name>, --alias', () => {
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
    [['halt', '--strategy', '', '--reason', 'x'], "option '--strategy <name>' argument '' is invalid. letters, digits, _ and - (1 to 64), got \"\""],
    [['resume', '--strategy', 'dir.mlp'], "option '--strategy <name>' argument 'dir.mlp' is invalid. letters, digits, _ and - (1 to 64)"],
    [['halt', '--symbol', ' ', '--reason', 'x'], "option '--symbol <symbol>' argument ' ' is invalid. name the symbol, e.g. BTC/USDT (it is blank)"],
    [['resume', '--symbol', 'X'.repeat(65)], 'at most 64 characters, got 65'],
    [['model', 'deploy', '', '1'], "command-argument value '' is invalid for argument 'name'. letters, digits, _ and - (1 to 64)"],
    [['model', 'deploy', 'direction-mlp', '2', '--alias', ''], "option '--alias <alias>' argument '' is invalid."],
    [['model', 'rollback', 'direction mlp'], "command-argument value 'direction mlp' is invalid for argument 'name'."],
    [['model', 'rollback', 'direction-mlp', '--alias', 'prod@1'], "option '--alias <alias>' argument 'prod@1' is invalid."],
    [['model', 'list', ''], "command-argument value '' is invalid for argument 'name'."],
  ])('refuses %j before sending', async (args, message) => {
    const { error, stderr } = await parse(args);
    expect((error as { code?: string }).code).toBe('commander.invalidArgument');
    expect(stderr).toContain(message);
  });

  it('refuses a halt of a strategy and a symbol at once before sending (one scope at a time)', async () => {
    const { error } = await parse(['halt', '--strategy', 'dirmlp', '--symbol', 'BTC/USDT', '--reason', 'both']);
    expect((error as { code?: string }).code).toBe('commander.invalidArgument');
    expect((error as Error).message).toBe('give --strategy or --symbol, not both');
  });

  it('takes the names the engine takes', () => {
    expect(controlName('direction-mlp_2')).toBe('direction-mlp_2');
    expect(scopeSymbol('BTC/USDT:USDT')).toBe('BTC/USDT:USDT');
  });
});
