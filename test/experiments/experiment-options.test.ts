import { describe, expect, it } from 'vitest';
import { experimentCommand } from '../../cli/commands/experiment.js';

/**
 * `sextant experiment retrain-vs-frozen --windows 3,3` ran the window twice and pooled its
 * predictions twice (1090 "scored" out of 545), and `--epochs 0.4` was rounded to 0 epochs.
 * `--no-warm-start` without the loop arm and `--retrain-every` with the frozen arm alone were
 * dropped. They are refused as the flag's error, before anything is read or trained.
 */
describe('sextant experiment retrain-vs-frozen: option values', () => {
  const run = (...args: string[]): Promise<unknown> => {
    const cmd = experimentCommand(() => undefined);
    // The subcommand was built before: it needs the override itself, or a parse error exits.
    for (const c of [cmd, ...cmd.commands]) c.exitOverride().configureOutput({ writeErr: () => undefined });
    return cmd.parseAsync(['retrain-vs-frozen', '--data', '/nonexistent-sextant-data', ...args], { from: 'user' });
  };

  it('refuses a window or an arm given twice', async () => {
    await expect(run('--windows', '3,3')).rejects.toThrow("option '--windows <list>' argument '3,3' is invalid. window 3 given more than once");
    await expect(run('--windows', '3, 3')).rejects.toThrow('window 3 given more than once');
    await expect(run('--arms', 'frozen,online,frozen')).rejects.toThrow("argument 'frozen,online,frozen' is invalid. frozen given more than once");
  });

  it('refuses a flag for an arm that --arms leaves out (it was dropped)', async () => {
    await expect(run('--arms', 'frozen', '--no-warm-start')).rejects.toThrow('--warm-start and --no-warm-start go with the loop arm; --arms frozen does not run it');
    await expect(run('--arms', 'frozen,online', '--warm-start')).rejects.toThrow('--arms frozen,online does not run it');
    await expect(run('--arms', 'frozen', '--retrain-every', '7')).rejects.toThrow('--retrain-every goes with the online or loop arm; --arms frozen runs neither');
    // With the arm it goes with, the run goes ahead (and fails on the missing data folder).
    await expect(run('--arms', 'loop', '--no-warm-start')).rejects.toThrow(/nonexistent-sextant-data/);
    await expect(run('--arms', 'online', '--retrain-every', '7')).rejects.toThrow(/nonexistent-sextant-data/);
  });

  // `--embargo Infinity` was taken and every window failed after the run started ("from must be a
  // finite epoch ms, got -Infinity"); `--embargo ''` was read as 0 hours.
  it.each(['Infinity', '', '-1', 'abc'])('refuses --embargo %j as the flag\'s error', async (v) => {
    await expect(run('--embargo', v)).rejects.toThrow(`option '--embargo <hours>' argument '${v}' is invalid. a number ≥ 0`);
  });

  it('refuses a fractional --epochs instead of rounding it (0.4 became 0 epochs)', async () => {
    await expect(run('--epochs', '0.4')).rejects.toThrow("option '--epochs <n>' argument '0.4' is invalid. a positive integer");
  });
});
